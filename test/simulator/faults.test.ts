import t from 'tap'
import { FAULT_KINDS, FaultError, FaultQueue, parseFault } from '../../src/simulator/faults.js'
import type { Fault } from '../../src/simulator/faults.js'

t.test('parseFault normalises times and the op of cancel-only kinds', async t => {
  const normalised: Array<[Record<string, unknown>, Record<string, unknown>]> = [
    [{ kind: 'hang' }, { kind: 'hang', times: 1 }],
    [{ kind: 'html', times: -1, op: 'getOrder' }, { kind: 'html', times: Infinity, op: 'getOrder' }],
    [{ kind: 'reset', times: Infinity }, { kind: 'reset', times: Infinity }],
    [{ kind: 'refuse', itemIds: [1, 2] }, { kind: 'refuse', itemIds: [1, 2], times: 1, op: 'cancelItems' }],
    [{ kind: 'reset-after-apply', op: 'cancelItems', times: 3 }, { kind: 'reset-after-apply', op: 'cancelItems', times: 3 }],
    [{ kind: 'bare-answer-after-apply' }, { kind: 'bare-answer-after-apply', times: 1, op: 'cancelItems' }],
    [{ kind: 'had-error-after-apply', message: 'at 2025-01-01' }, { kind: 'had-error-after-apply', message: 'at 2025-01-01', times: 1, op: 'cancelItems' }],
    [{ kind: 'status', status: 503, retryAfter: '1', body: 'x', contentType: 'text/plain' },
      { kind: 'status', status: 503, retryAfter: '1', body: 'x', contentType: 'text/plain', times: 1 }],
    [{ kind: 'delay', ms: 0 }, { kind: 'delay', ms: 0, times: 1 }],
    [{ kind: 'late-apply', ms: 5 }, { kind: 'late-apply', ms: 5, times: 1, op: 'cancelItems' }],
    [{ kind: 'message', message: 'm' }, { kind: 'message', message: 'm', times: 1 }],
    [{ kind: 'had-error' }, { kind: 'had-error', times: 1 }]
  ]
  for (const [raw, expected] of normalised) t.same(parseFault(raw), expected, JSON.stringify(raw))
  for (const kind of FAULT_KINDS) {
    const extra = kind === 'status' ? { status: 500 } : kind === 'delay' || kind === 'late-apply' ? { ms: 1 } : kind === 'refuse' ? { itemIds: [] } : {}
    t.equal(parseFault({ kind, ...extra }).kind, kind, `${kind} is accepted`)
  }
})

t.test('parseFault rejects malformed faults', async t => {
  const bad: Array<[unknown, RegExp]> = [
    [null, /must be an object/],
    [[], /must be an object/],
    ['hang', /must be an object/],
    [{}, /fault.kind must be one of status, delay/],
    [{ kind: 'explode' }, /fault.kind/],
    [{ kind: 'hang', op: 'other' }, /fault.op/],
    [{ kind: 'refuse', itemIds: [1], op: 'getOrder' }, /refuse fault applies to cancelItems only/],
    [{ kind: 'reset-after-apply', op: 'getOrder' }, /cancelItems only/],
    [{ kind: 'hang', times: 0 }, /fault.times/],
    [{ kind: 'hang', times: 1.5 }, /fault.times/],
    [{ kind: 'hang', times: '2' }, /fault.times/],
    [{ kind: 'hang', times: -2 }, /fault.times/],
    [{ kind: 'status' }, /fault.status/],
    [{ kind: 'status', status: 503.5 }, /fault.status/],
    [{ kind: 'status', status: 199 }, /fault.status/],
    [{ kind: 'status', status: 600 }, /fault.status/],
    [{ kind: 'status', status: 503, retryAfter: 1 }, /fault.retryAfter must be a string/],
    [{ kind: 'status', status: 503, body: {} }, /fault.body/],
    [{ kind: 'status', status: 503, contentType: 1 }, /fault.contentType/],
    [{ kind: 'delay' }, /fault.ms/],
    [{ kind: 'delay', ms: -1 }, /fault.ms/],
    [{ kind: 'delay', ms: Infinity }, /fault.ms/],
    [{ kind: 'late-apply' }, /fault.ms/],
    [{ kind: 'late-apply', ms: 1, op: 'getOrder' }, /cancelItems only/],
    [{ kind: 'had-error', message: 1 }, /fault.message/],
    [{ kind: 'message', message: null }, /fault.message/],
    [{ kind: 'refuse' }, /fault.itemIds/],
    [{ kind: 'refuse', itemIds: ['1'] }, /fault.itemIds/]
  ]
  for (const [raw, message] of bad) {
    t.throws(() => parseFault(raw), { name: 'FaultError', message }, JSON.stringify(raw))
  }
})

t.test('FaultQueue: FIFO, op matching, times, pending', async t => {
  const q = new FaultQueue()
  t.equal(q.take('getOrder'), undefined, 'empty queue')
  t.equal(q.enqueue({ kind: 'html', op: 'cancelItems' }), 1)
  t.equal(q.enqueue([{ kind: 'message', times: 2 }, { kind: 'hang', op: 'getOrder', times: -1 }]), 2)
  t.same(q.pending().map(f => [f.kind, f.times]), [['html', 1], ['message', 2], ['hang', -1]])
  t.equal(q.take('getOrder')?.kind, 'message', 'first matching fault (html is for cancelItems)')
  t.equal(q.take('cancelItems')?.kind, 'html')
  t.equal(q.take('cancelItems')?.kind, 'message')
  t.equal(q.take('cancelItems'), undefined, 'the hang only hits getOrder')
  for (let i = 0; i < 5; i++) t.equal(q.take('getOrder')?.kind, 'hang')
  t.same(q.pending(), [{ kind: 'hang', op: 'getOrder', times: -1 }])
  q.clear()
  t.same(q.pending(), [])
})

t.test('FaultQueue.enqueue is all or nothing', async t => {
  const q = new FaultQueue()
  t.throws(() => q.enqueue([{ kind: 'hang' }, { kind: 'nope' }]), FaultError)
  t.same(q.pending(), [])
  const typed: Fault[] = [{ kind: 'status', status: 429, retryAfter: '2' }, { kind: 'refuse', itemIds: [1] }]
  t.equal(q.enqueue(typed), 2)
})
