import t from 'tap'
import { Agent } from 'node:http'
import type { Test } from 'tap'
import { startSimulator } from '../../src/simulator/server.js'
import type { Simulator } from '../../src/simulator/server.js'
import type { Fault } from '../../src/simulator/faults.js'
import { SEED } from '../../src/simulator/seed.js'
import { eventually } from '../helpers/eventually.js'
import { cancel, cancelUrl, get, GUID, orderUrl, raw, statusOf } from './helpers.js'

const sim = await startSimulator()
t.teardown(() => sim.close())
t.beforeEach(() => sim.reset())

const { demo } = SEED
const lookup = (): ReturnType<typeof get> => get(orderUrl(sim, demo.safeId))
const cancelNew = (): ReturnType<typeof cancel> => cancel(sim, demo.gootenId, [demo.items.new])
const cancelBody = JSON.stringify({ Ids: [demo.items.new] })

t.test('status: the given status, default Message body, Retry-After; nothing applied', async t => {
  sim.enqueueFault({ kind: 'status', status: 503, retryAfter: '7' })
  const res = await cancelNew()
  t.equal(res.status, 503)
  t.equal(res.headers.get('retry-after'), '7')
  t.equal(res.headers.get('content-type'), 'application/json; charset=utf-8')
  t.same(res.body, { Message: 'An error has occurred.' })
  t.equal(sim.cancelsApplied, 0)
  t.equal(statusOf(sim, demo.gootenId, demo.items.new), 'New')
  t.equal(sim.callCount('cancelItems'), 1, 'a faulted call is still recorded')
  t.same(sim.calls[0]?.itemIds, [demo.items.new])

  sim.enqueueFault({ kind: 'status', status: 429, body: 'slow down', contentType: 'text/plain' })
  const custom = await lookup()
  t.equal(custom.status, 429)
  t.equal(custom.text, 'slow down')
  t.equal(custom.headers.get('content-type'), 'text/plain')
  t.equal(custom.headers.get('retry-after'), null)
  t.equal((await lookup()).status, 200, 'used up')
})

t.test('op matching: a cancelItems fault lets lookups through; other paths never take faults', async t => {
  sim.enqueueFault({ kind: 'status', status: 502, op: 'cancelItems' })
  t.equal((await get(`${sim.url}/elsewhere`)).status, 404)
  t.equal((await lookup()).status, 200)
  t.equal((await cancelNew()).status, 502)
  t.equal((await cancelNew()).status, 200)
})

t.test('times: n calls, then normal; -1 and Infinity are forever', async t => {
  sim.enqueueFault({ kind: 'message', times: 2 })
  t.same((await lookup()).body, { Message: 'An error has occurred.' })
  t.same((await cancelNew()).body, { Message: 'An error has occurred.' }, 'op omitted = any op')
  t.equal((await lookup()).body.Id, demo.safeId)
  for (const times of [-1, Infinity]) {
    sim.reset()
    sim.enqueueFault({ kind: 'wrong-shape', times, op: 'getOrder' })
    for (let i = 0; i < 4; i++) t.same((await lookup()).body, { Result: { Foo: 1 } })
    t.equal(sim.pendingFaults()[0]?.times, -1)
  }
})

t.test('canned 200 answers: html, invalid-json, had-error, message, wrong-shape, huge', async t => {
  sim.enqueueFault([
    { kind: 'html' },
    { kind: 'invalid-json' },
    { kind: 'had-error' },
    { kind: 'had-error', message: 'Boom.' },
    { kind: 'message', message: 'Nope.' },
    { kind: 'wrong-shape' },
    { kind: 'huge' }
  ])
  const html = await lookup()
  t.equal(html.status, 200)
  t.match(html.headers.get('content-type'), /^text\/html/)
  t.ok(html.text.startsWith('<!DOCTYPE html>'))
  const invalid = await lookup()
  t.equal(invalid.headers.get('content-type'), 'application/json; charset=utf-8')
  t.equal(invalid.text, '{"Id":"13-')
  t.equal(invalid.body, undefined)
  const hadError = await cancelNew()
  t.equal(hadError.status, 200)
  t.match(hadError.body, { HadError: true, ErrorReferenceCode: GUID, Errors: [{ PropertyName: '', ErrorMessage: 'An unexpected error occurred.' }] })
  t.equal((await lookup()).body.Errors[0].ErrorMessage, 'Boom.')
  t.same((await lookup()).body, { Message: 'Nope.' })
  t.same((await cancelNew()).body, { Result: { Foo: 1 } })
  const huge = await lookup()
  t.equal(huge.status, 200)
  t.equal(Buffer.byteLength(huge.text), 17 * 1024 * 1024)
  t.equal(huge.body.HadError, false, 'valid JSON')
  t.equal(sim.cancelsApplied, 0, 'no canned fault applies anything')
})

t.test('refuse: listed ids refused even if cancellable, the rest proceed', async t => {
  sim.enqueueFault({ kind: 'refuse', itemIds: [demo.items.new] })
  t.equal((await lookup()).status, 200, 'a refuse fault is not taken by a lookup')
  const res = await cancel(sim, demo.gootenId, [demo.items.new, demo.items.hold])
  t.equal(res.body.HadError, true)
  t.same(res.body.Success, [demo.items.hold])
  t.same(res.body.Errors, [{ PropertyName: 'Ids', ErrorMessage: `Order item ${demo.items.new} cannot be cancelled at this time.`, AttemptedValue: demo.items.new, CustomState: null }])
  t.equal(statusOf(sim, demo.gootenId, demo.items.new), 'New')
  t.equal(statusOf(sim, demo.gootenId, demo.items.hold), 'Cancelled')
  t.same((await cancelNew()).body.Success, [demo.items.new], 'used up')
})

t.test('cancel-only faults are not taken by a lookup', async t => {
  const cancelOnly: Fault[] = [{ kind: 'refuse', itemIds: [demo.items.new] }, { kind: 'reset-after-apply' }, { kind: 'bare-answer-after-apply' }, { kind: 'had-error-after-apply' }, { kind: 'late-apply', ms: 1 }]
  for (const fault of cancelOnly) {
    sim.reset()
    sim.enqueueFault(fault)
    t.equal((await lookup()).status, 200, fault.kind)
    t.equal(sim.pendingFaults().length, 1, `${fault.kind} still queued`)
  }
})

t.test('faults around applying a cancel: dropped before, dropped after, or answered without naming any item', async t => {
  const cases = [
    { kind: 'reset', applied: false, answer: undefined },
    { kind: 'reset-after-apply', applied: true, answer: undefined },
    { kind: 'bare-answer-after-apply', applied: true, answer: '{"HadError":false}' }
  ] as const
  for (const { kind, applied, answer } of cases) {
    sim.reset()
    sim.enqueueFault({ kind })
    const sent = raw(cancelUrl(sim, demo.gootenId), { method: 'PUT', headers: { 'content-type': 'application/json' }, body: cancelBody })
    if (answer === undefined) await t.rejects(sent, `${kind}: the socket is destroyed`)
    else t.equal((await sent).text, answer, `${kind}: the answer`)
    t.equal(sim.cancelsApplied, applied ? 1 : 0, `${kind}: applied`)
    t.equal(statusOf(sim, demo.gootenId, demo.items.new), applied ? 'Cancelled' : 'New')
    t.equal(sim.stats().abortedRequests, 0, `${kind}: not an abort`)
    t.equal(sim.callCount('cancelItems'), 1)
    t.same((await cancelNew()).body.Success, [demo.items.new], `${kind}: a retry then sees a success`)
  }
})

t.test('had-error-after-apply: the cancel is applied, and the answer is a HadError whose entry names no item', async t => {
  sim.reset()
  sim.enqueueFault({ kind: 'had-error-after-apply', message: 'Recorded at 2025-01-01.' })
  const sent = await raw(cancelUrl(sim, demo.gootenId), { method: 'PUT', headers: { 'content-type': 'application/json' }, body: cancelBody })
  t.equal(sent.status, 200)
  t.match(JSON.parse(sent.text), { HadError: true, Errors: [{ PropertyName: '', ErrorMessage: 'Recorded at 2025-01-01.', AttemptedValue: '' }] })
  t.equal(sim.cancelsApplied, 1)
  t.equal(statusOf(sim, demo.gootenId, demo.items.new), 'Cancelled')
  sim.enqueueFault({ kind: 'had-error-after-apply' })
  t.match(JSON.parse((await raw(cancelUrl(sim, demo.gootenId), { method: 'PUT', headers: { 'content-type': 'application/json' }, body: cancelBody })).text), { Errors: [{ ErrorMessage: 'An unexpected error occurred.' }] })
})

t.test('close-keepalive: a normal answer with Connection: close', async t => {
  // A simulator of its own, so no other test's kept-alive sockets are counted.
  const own = await startSimulator()
  t.teardown(() => own.close())
  const agent = new Agent({ keepAlive: true })
  t.teardown(() => agent.destroy())
  const first = await raw(orderUrl(own, demo.safeId), { agent })
  t.equal(first.headers.connection, 'keep-alive')
  t.equal(own.stats().openConnections, 1)
  own.enqueueFault({ kind: 'close-keepalive' })
  const res = await raw(orderUrl(own, demo.safeId), { agent })
  t.equal(res.status, 200)
  t.equal(JSON.parse(res.text).Id, demo.safeId)
  t.equal(res.headers.connection, 'close')
  await eventually('own.stats().openConnections === 0', () => own.stats().openConnections === 0)
  t.equal(own.stats().openConnections, 0, 'the server closed the kept-alive socket')
  t.equal(own.stats().maxOpenConnections, 1, 'the same socket served both calls')
  own.enqueueFault({ kind: 'close-keepalive' })
  const cancelled = await raw(cancelUrl(own, demo.gootenId), { agent, method: 'PUT', headers: { 'content-type': 'application/json' }, body: cancelBody })
  t.equal(cancelled.headers.connection, 'close')
  t.equal(own.cancelsApplied, 1)
})

for (const kind of ['delay', 'late-apply'] as const) {
  t.test(`${kind}: a client that stays gets the normal answer after the wait`, async t => {
    sim.enqueueFault({ kind, ms: 120 })
    const start = Date.now()
    const res = await cancelNew()
    t.ok(Date.now() - start >= 110, 'waited')
    t.same(res.body.Success, [demo.items.new])
    t.equal(sim.cancelsApplied, 1)
  })
}

/**
 * The demo's New item as a lookup sees it that itself waits `delayMs` (plus the latency) from
 * now: it answers after an earlier wait of the same length would have ended, since Node fires
 * timers of one duration in the order they were started. No sleep, and no race.
 */
async function statusAfterAnEqualWait (sim: Simulator, delayMs = 0): Promise<string> {
  if (delayMs > 0) sim.enqueueFault({ kind: 'delay', ms: delayMs, op: 'getOrder' })
  return (await get(orderUrl(sim, demo.safeId))).body.Items[0].Status
}

/** Cancel demo's New item, and abort once the simulator has read the body (its ids are recorded). */
async function abandonedCancel (t: Test, sim: Simulator): Promise<void> {
  const ac = new AbortController()
  const pending = fetch(cancelUrl(sim, demo.gootenId), { method: 'PUT', headers: { 'content-type': 'application/json' }, body: cancelBody, signal: ac.signal })
  await eventually('sim.calls.some(c => c.itemIds !== undefined)', () => sim.calls.some(c => c.itemIds !== undefined))
  ac.abort()
  await t.rejects(pending)
  await eventually('sim.stats().abortedRequests === 1', () => sim.stats().abortedRequests === 1)
}

t.test('delay: a client that leaves meanwhile is counted aborted and nothing is applied', async t => {
  sim.enqueueFault({ kind: 'delay', ms: 200 })
  await abandonedCancel(t, sim)
  t.equal(sim.stats().abortedRequests, 1)
  t.equal(await statusAfterAnEqualWait(sim, 200), 'New', 'not applied when the wait ended')
  t.equal(sim.cancelsApplied, 0)
})

t.test('late-apply: a client that leaves meanwhile saw nothing applied, and the cancel is applied anyway', async t => {
  sim.enqueueFault({ kind: 'late-apply', ms: 300 })
  await abandonedCancel(t, sim)
  t.equal(await statusAfterAnEqualWait(sim), 'New', 'a lookup right after the client left shows nothing applied')
  t.equal(await statusAfterAnEqualWait(sim, 300), 'Cancelled', 'applied once the wait has run its course, as IIS / ASP.NET does')
  t.equal(sim.cancelsApplied, 1)
  t.equal(sim.callCount('cancelItems'), 1)
})

t.test('late-apply is scriptable over the control routes', async t => {
  const queued = await fetch(`${sim.url}/__sim/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ kind: 'late-apply', ms: 50 }) })
  t.equal(queued.status, 200)
  t.same(sim.pendingFaults(), [{ kind: 'late-apply', ms: 50, op: 'cancelItems', times: 1 }])
})

t.test('hang: never answers; counted aborted when the client gives up', async t => {
  sim.enqueueFault({ kind: 'hang', op: 'getOrder' })
  const ac = new AbortController()
  let settled = false
  const pending = fetch(orderUrl(sim, demo.safeId), { signal: ac.signal }).finally(() => { settled = true })
  await eventually('sim.callCount(\'getOrder\') === 1', () => sim.callCount('getOrder') === 1)
  t.equal((await lookup()).status, 200, 'a later call is answered normally')
  t.notOk(settled, 'while the first still hangs')
  t.equal(sim.stats().abortedRequests, 0)
  ac.abort()
  await t.rejects(pending)
  await eventually('sim.stats().abortedRequests === 1', () => sim.stats().abortedRequests === 1)
  t.equal(sim.stats().abortedRequests, 1)
})

t.test('latencyMs is added to every Gooten call, not to control routes', async t => {
  const slow = await startSimulator({ latencyMs: 200 })
  t.teardown(() => slow.close())
  let start = Date.now()
  let lookedUp = false
  const delayed = get(orderUrl(slow, demo.safeId)).finally(() => { lookedUp = true })
  t.equal((await get(`${slow.url}/__sim/stats`)).status, 200)
  t.notOk(lookedUp, 'a control route answers while a lookup sent before it waits')
  t.equal((await delayed).status, 200)
  t.ok(Date.now() - start >= 190, 'lookup delayed')

  slow.enqueueFault({ kind: 'html' })
  start = Date.now()
  t.equal((await get(orderUrl(slow, demo.safeId))).text.slice(0, 9), '<!DOCTYPE', 'faults answer after the latency too')
  t.ok(Date.now() - start >= 190)

  await abandonedCancel(t, slow)
  t.equal(await statusAfterAnEqualWait(slow), 'New', 'abandoned during the latency: not applied when it ended')
  t.equal(slow.cancelsApplied, 0)
  t.equal(slow.stats().abortedRequests, 1)
})
