import t from 'tap'
import { Bulkhead } from '../../../src/gooten/bulkhead.js'
import { GootenError } from '../../../src/gooten/errors.js'

/** A wait limit that never passes, or one given by a signal. */
const never = (): { signal: AbortSignal } => ({ signal: new AbortController().signal })
const ignore = (): void => {}

t.test('admits up to maxActive at once and reports each change', async (t) => {
  const changes: number[] = []
  const bulkhead = new Bulkhead(2, 0, (active) => changes.push(active))
  const first = await bulkhead.acquire('getOrder', never())
  const second = await bulkhead.acquire('getOrder', never())
  t.equal(bulkhead.active, 2)
  first()
  t.equal(bulkhead.active, 1)
  second()
  t.equal(bulkhead.active, 0)
  t.same(changes, [1, 2, 1, 0])
  t.type(bulkhead.acquire('getOrder', never()), 'function', 'a free slot is handed over at once, not through a promise')
})

t.test('full and queue full: shed at once as overloaded, never sent', async (t) => {
  const bulkhead = new Bulkhead(1, 1, ignore)
  const release = await bulkhead.acquire('getOrder', never())
  const queued = bulkhead.acquire('cancelItems', never())
  let error: unknown
  try {
    bulkhead.acquire('cancelItems', never())
  } catch (thrown) {
    error = thrown
  }
  t.match(error, { name: 'GootenError', failure: 'overloaded', op: 'cancelItems', details: { neverSent: true } })
  t.equal((error as GootenError).mayHaveReachedGooten, false)
  release()
  const releaseQueued = await queued
  t.equal(bulkhead.active, 1, 'the queued caller got the freed slot')
  releaseQueued()
  t.equal(bulkhead.active, 0)
})

t.test('a queue limit of 0 sheds as soon as every slot is taken', async (t) => {
  const bulkhead = new Bulkhead(1, 0, ignore)
  const release = await bulkhead.acquire('getOrder', never())
  t.throws(() => bulkhead.acquire('getOrder', never()), { name: 'GootenError', failure: 'overloaded' })
  release()
})

t.test('waiters are woken in arrival order', async (t) => {
  const bulkhead = new Bulkhead(1, 3, ignore)
  const order: string[] = []
  const release = await bulkhead.acquire('getOrder', never())
  const waiters = ['a', 'b', 'c'].map(async (name) => {
    const done = await bulkhead.acquire('getOrder', never())
    order.push(name)
    done()
  })
  release()
  await Promise.all(waiters)
  t.same(order, ['a', 'b', 'c'])
  t.equal(bulkhead.active, 0)
})

t.test('abort while queued: timeout, never sent, and the queue place is given up', async (t) => {
  const bulkhead = new Bulkhead(1, 1, ignore)
  const release = await bulkhead.acquire('getOrder', never())
  const controller = new AbortController()
  const waiting = bulkhead.acquire('cancelItems', { signal: controller.signal })
  controller.abort()
  const error = await Promise.resolve(waiting).catch((e: unknown) => e)
  t.match(error, { name: 'GootenError', failure: 'timeout', op: 'cancelItems', details: { neverSent: true } })
  // The aborted waiter no longer holds the only queue place.
  const next = bulkhead.acquire('getOrder', never())
  release()
  const releaseNext = await next
  t.equal(bulkhead.active, 1)
  releaseNext()
  t.equal(bulkhead.active, 0, 'the aborted waiter took no slot')
})

t.test('an already-aborted signal fails at once when it would have to wait', async (t) => {
  const bulkhead = new Bulkhead(1, 5, ignore)
  const release = await bulkhead.acquire('getOrder', never())
  await t.rejects(Promise.resolve(bulkhead.acquire('getOrder', { signal: AbortSignal.abort() })), { name: 'GootenError', failure: 'timeout', details: { neverSent: true } })
  // Nothing was left queued: one release frees the bulkhead entirely.
  release()
  t.equal(bulkhead.active, 0)
  const again = await bulkhead.acquire('getOrder', never())
  t.equal(bulkhead.active, 1)
  again()
})

t.test('an already-aborted signal does not matter when a slot is free', async (t) => {
  const bulkhead = new Bulkhead(1, 0, ignore)
  const release = await bulkhead.acquire('getOrder', { signal: AbortSignal.abort() })
  t.equal(bulkhead.active, 1)
  release()
})

t.test('a woken waiter no longer listens to its signal', async (t) => {
  const bulkhead = new Bulkhead(1, 1, ignore)
  const release = await bulkhead.acquire('getOrder', never())
  const controller = new AbortController()
  const waiting = bulkhead.acquire('getOrder', { signal: controller.signal })
  release()
  const releaseWaiting = await waiting
  controller.abort()
  t.equal(bulkhead.active, 1, 'aborting later changes nothing')
  releaseWaiting()
  t.equal(bulkhead.active, 0)
})

t.test('release called twice frees one slot only', async (t) => {
  const changes: number[] = []
  const bulkhead = new Bulkhead(2, 0, (active) => changes.push(active))
  const first = await bulkhead.acquire('getOrder', never())
  const second = await bulkhead.acquire('getOrder', never())
  first()
  first()
  t.equal(bulkhead.active, 1)
  t.same(changes, [1, 2, 1])
  second()
  t.equal(bulkhead.active, 0)
})

t.test('a released slot goes to the waiter, not to a newcomer', async (t) => {
  const bulkhead = new Bulkhead(1, 2, ignore)
  const signal = never()
  const releaseA = await bulkhead.acquire('getOrder', signal)
  const waiterB = bulkhead.acquire('getOrder', signal)
  releaseA()
  // C arrives between A's release and B resuming: the slot is B's, so C must wait its turn.
  let cGranted = false
  const waiterC = Promise.resolve(bulkhead.acquire('getOrder', signal)).then((release) => { cGranted = true; return release })
  const releaseB = await waiterB
  await new Promise((resolve) => setImmediate(resolve))
  t.equal(cGranted, false, 'C is still waiting while B holds the only slot')
  t.equal(bulkhead.active, 1)
  releaseB()
  const releaseC = await waiterC
  t.equal(bulkhead.active, 1)
  releaseC()
  t.equal(bulkhead.active, 0)
})
