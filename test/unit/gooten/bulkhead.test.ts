import t from 'tap'
import { Bulkhead } from '../../../src/gooten/bulkhead.js'
import { GootenError } from '../../../src/gooten/errors.js'

/** A wait limit that never passes here, or one of `ms`. */
const never = (): { remainingMs: number } => ({ remainingMs: Number.MAX_SAFE_INTEGER })
const within = (ms: number): { remainingMs: number } => ({ remainingMs: ms })
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

t.test('time out while queued: timeout, never sent, and the queue place is given up', async (t) => {
  const bulkhead = new Bulkhead(1, 1, ignore)
  const release = await bulkhead.acquire('getOrder', never())
  const waiting = bulkhead.acquire('cancelItems', within(20.5))
  const error = await Promise.resolve(waiting).catch((e: unknown) => e)
  t.match(error, { name: 'GootenError', failure: 'timeout', op: 'cancelItems', details: { neverSent: true } })
  // The waiter that gave up no longer holds the only queue place.
  const next = bulkhead.acquire('getOrder', never())
  release()
  const releaseNext = await next
  t.equal(bulkhead.active, 1)
  releaseNext()
  t.equal(bulkhead.active, 0, 'the waiter that gave up took no slot')
})

t.test('a limit already passed fails at once when it would have to wait', async (t) => {
  const bulkhead = new Bulkhead(1, 5, ignore)
  const release = await bulkhead.acquire('getOrder', never())
  await t.rejects(Promise.resolve(bulkhead.acquire('getOrder', within(-1))), { name: 'GootenError', failure: 'timeout', details: { neverSent: true } })
  // Nothing was left queued: one release frees the bulkhead entirely.
  release()
  t.equal(bulkhead.active, 0)
  const again = await bulkhead.acquire('getOrder', never())
  t.equal(bulkhead.active, 1)
  again()
})

t.test('a limit already passed does not matter when a slot is free', async (t) => {
  const bulkhead = new Bulkhead(1, 0, ignore)
  const release = await bulkhead.acquire('getOrder', within(0))
  t.equal(bulkhead.active, 1)
  release()
})

t.test('a woken waiter\'s limit no longer matters', async (t) => {
  const bulkhead = new Bulkhead(1, 1, ignore)
  const release = await bulkhead.acquire('getOrder', never())
  const waiting = bulkhead.acquire('getOrder', within(20))
  release()
  const releaseWaiting = await waiting
  await new Promise((resolve) => setTimeout(resolve, 40))
  t.equal(bulkhead.active, 1, 'its limit passing later changes nothing')
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
  const limit = never()
  const releaseA = await bulkhead.acquire('getOrder', limit)
  const waiterB = bulkhead.acquire('getOrder', limit)
  releaseA()
  // C arrives between A's release and B resuming: the slot is B's, so C must wait its turn.
  let cGranted = false
  const waiterC = Promise.resolve(bulkhead.acquire('getOrder', limit)).then((release) => { cGranted = true; return release })
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
