import t from 'tap'
import { CancelInDoubtError, CancellationError, OutcomeUnknownError, UnaddressableOrderError } from '../../../src/cancellation/errors.js'
import type { GootenGateway, HeldLock, OrderLocks, WaitLimit } from '../../../src/cancellation/ports.js'
import { CancellationService } from '../../../src/cancellation/service.js'
import type { CancelRequest } from '../../../src/cancellation/types.js'
import type { CallContext } from '../../../src/gooten/client.js'
import { Deadline } from '../../../src/gooten/deadline.js'
import { GootenError } from '../../../src/gooten/errors.js'
import type { GootenCancelReply, GootenOrder } from '../../../src/gooten/types.js'
import { InProcessLocks } from '../../../src/stores/locks/in-process.js'

const SAFE_ID = '13-f91acc87-bd23-40df-91f4-72dad9a3c971'

function order (items: Array<[number | null, string]>, gootenId: number | null = 520718, safeId: string | null = SAFE_ID): GootenOrder {
  return { safeId, gootenId, items: items.map(([itemId, status]) => ({ itemId, sku: `SKU-${itemId ?? 'x'}`, quantity: 1, status })) }
}

type Step<T> = T | Error | ((context: CallContext) => Promise<T>)

/** A scripted gateway: each call takes the next step; it records every call. */
class FakeGooten implements GootenGateway {
  readonly lookups: Array<{ orderId: string, context: CallContext }> = []
  readonly cancels: Array<{ gootenId: number, itemIds: number[], context: CallContext }> = []

  constructor (private readonly orders: Array<Step<GootenOrder>>, private readonly replies: Array<Step<GootenCancelReply>> = []) {}

  async getOrder (orderId: string, context: CallContext): Promise<GootenOrder> {
    this.lookups.push({ orderId, context })
    return await FakeGooten.#play(this.orders.shift(), context)
  }

  async cancelItems (gootenId: number, itemIds: readonly number[], context: CallContext): Promise<GootenCancelReply> {
    this.cancels.push({ gootenId, itemIds: [...itemIds], context })
    return await FakeGooten.#play(this.replies.shift(), context)
  }

  static async #play<T> (step: Step<T> | undefined, context: CallContext): Promise<T> {
    if (step === undefined) throw new Error('unexpected call')
    if (step instanceof Error) throw step
    if (typeof step === 'function') return await (step as (c: CallContext) => Promise<T>)(context)
    return step
  }
}

class CountingLocks implements OrderLocks {
  readonly keys: string[] = []
  readonly #inner = new InProcessLocks()
  async stamp (): Promise<number> {
    return await this.#inner.stamp()
  }

  async run<T>(key: string, since: number, until: WaitLimit, task: (stale: boolean, lock: HeldLock) => Promise<T>): Promise<T> {
    this.keys.push(key)
    return await this.#inner.run(key, since, until, task)
  }
}

interface Warning { object: Record<string, unknown>, message: string }

function setup (gooten: FakeGooten, verificationReserveMs = 5000) {
  const locks = new CountingLocks()
  const warnings: Warning[] = []
  const context: CallContext = {
    deadline: Deadline.in(8000),
    log: {
      debug: () => {},
      warn: (object, message) => { warnings.push({ object: object as Record<string, unknown>, message }) },
      error: () => {}
    },
    calls: []
  }
  const service = new CancellationService({ gooten, locks, verificationReserveMs, inDoubtMs: 60_000 })
  return { service, locks, warnings, context }
}

const request = (itemIds: number[], extra: Partial<CancelRequest> = {}): CancelRequest => ({ orderId: SAFE_ID, itemIds, dryRun: false, ...extra })

async function rejection<E> (promise: Promise<unknown>, type: new (...args: never[]) => E): Promise<E> {
  return await promise.then(() => { throw new Error('expected a failure') }, (error: unknown) => {
    if (!(error instanceof type)) throw error
    return error
  })
}

const timeout = (): GootenError => new GootenError('timeout', 'cancelItems', 'deadline passed')

t.test('view: items with a cancellable flag', async (t) => {
  const gooten = new FakeGooten([order([[1, 'New'], [2, 'Shipped'], [3, 'Cancelled'], [null, 'Hold']])])
  const { service, context } = setup(gooten)
  t.same(await service.view('520718', context), {
    orderId: SAFE_ID,
    gootenOrderId: 520718,
    items: [
      { itemId: 1, sku: 'SKU-1', quantity: 1, status: 'New', cancellable: true },
      { itemId: 2, sku: 'SKU-2', quantity: 1, status: 'Shipped', cancellable: false },
      { itemId: 3, sku: 'SKU-3', quantity: 1, status: 'Cancelled', cancellable: false },
      { itemId: null, sku: 'SKU-x', quantity: 1, status: 'Hold', cancellable: true }
    ]
  })
  t.equal(gooten.lookups[0]?.orderId, '520718')
  t.equal(gooten.lookups[0]?.context, context)
})

t.test('view: without a Safe Order ID, the requested id; without a GootenId, null', async (t) => {
  const { service, context } = setup(new FakeGooten([order([], null, null)]))
  t.same(await service.view('520718', context), { orderId: '520718', gootenOrderId: null, items: [] })
})

t.test('view: a missing order is ORDER_NOT_FOUND; other failures pass through', async (t) => {
  const notFound = setup(new FakeGooten([new GootenError('not_found', 'getOrder', 'x')]))
  t.equal((await rejection(notFound.service.view('1', notFound.context), CancellationError)).code, 'ORDER_NOT_FOUND')
  const busy = new GootenError('unavailable', 'getOrder', 'x', { status: 503 })
  const down = setup(new FakeGooten([busy]))
  t.equal(await rejection(down.service.view('1', down.context), GootenError), busy)
})

t.test('dry run: every check, nothing forwarded, no lock', async (t) => {
  const gooten = new FakeGooten([order([[1, 'New'], [2, 'Canceled'], [3, 'Shipped']])])
  const { service, context, locks } = setup(gooten)
  t.same(await service.cancel(request([2, 1], { dryRun: true }), context), {
    orderId: SAFE_ID,
    gootenOrderId: 520718,
    outcome: 'dry_run',
    items: [
      { itemId: 2, result: 'already_cancelled', previousStatus: 'Canceled' },
      { itemId: 1, result: 'would_cancel', previousStatus: 'New' }
    ]
  })
  t.same(gooten.cancels, [])
  t.same(locks.keys, [])
})

t.test('dry run: pre-check failures are reported as for a real cancel', async (t) => {
  const gooten = new FakeGooten([order([[1, 'New'], [3, 'Shipped']])])
  const { service, context } = setup(gooten)
  t.equal((await rejection(service.cancel(request([1, 3], { dryRun: true }), context), CancellationError)).code, 'ITEMS_NOT_CANCELLABLE')
  t.same(gooten.cancels, [])
})

t.test('dry run: the requested id stands in for a missing Safe Order ID', async (t) => {
  const { service, context } = setup(new FakeGooten([order([[1, 'New']], 520718, null)]))
  t.equal((await service.cancel(request([1], { orderId: '520718', dryRun: true }), context)).orderId, '520718')
})

t.test('every item already cancelled: answered without a cancel call', async (t) => {
  const gooten = new FakeGooten([order([[1, 'Cancelled'], [2, 'Canceled']])])
  const { service, context } = setup(gooten)
  t.same(await service.cancel(request([1, 2]), context), {
    orderId: SAFE_ID,
    gootenOrderId: 520718,
    outcome: 'cancelled',
    items: [
      { itemId: 1, result: 'already_cancelled', previousStatus: 'Cancelled' },
      { itemId: 2, result: 'already_cancelled', previousStatus: 'Canceled' }
    ]
  })
  t.same(gooten.cancels, [])
})

t.test('order not found: ORDER_NOT_FOUND, no cancel', async (t) => {
  const gooten = new FakeGooten([new GootenError('not_found', 'getOrder', 'x', { status: 404 })])
  const { service, context } = setup(gooten)
  const error = await rejection(service.cancel(request([1]), context), CancellationError)
  t.equal(error.code, 'ORDER_NOT_FOUND')
  t.same(error.items, [])
  t.same(gooten.cancels, [])
})

t.test('a failed lookup passes through unchanged', async (t) => {
  const busy = new GootenError('circuit_open', 'getOrder', 'x', { neverSent: true })
  const { service, context } = setup(new FakeGooten([busy]))
  t.equal(await rejection(service.cancel(request([1]), context), GootenError), busy)
})

t.test('pre-check failures stop before any cancel call', async (t) => {
  const gooten = new FakeGooten([order([[1, 'New']])])
  const { service, context } = setup(gooten)
  t.equal((await rejection(service.cancel(request([1, 2]), context), CancellationError)).code, 'ITEMS_NOT_IN_ORDER')
  t.same(gooten.cancels, [])
})

t.test('no GootenId in the order: unaddressable, no cancel', async (t) => {
  const gooten = new FakeGooten([order([[1, 'New']], null)])
  const { service, context } = setup(gooten)
  await rejection(service.cancel(request([1]), context), UnaddressableOrderError)
  t.same(gooten.cancels, [])
})

t.test('cancel success: only the items still to cancel are forwarded, in one call', async (t) => {
  const gooten = new FakeGooten(
    [order([[1, 'New'], [2, 'Cancelled'], [3, 'Hold']])],
    [{ succeeded: [1, 3], refusals: new Map() }]
  )
  const { service, context, locks } = setup(gooten)
  t.same(await service.cancel(request([3, 2, 1], { orderId: SAFE_ID.toUpperCase() }), context), {
    orderId: SAFE_ID,
    gootenOrderId: 520718,
    outcome: 'cancelled',
    items: [
      { itemId: 3, result: 'cancelled', previousStatus: 'Hold' },
      { itemId: 2, result: 'already_cancelled', previousStatus: 'Cancelled' },
      { itemId: 1, result: 'cancelled', previousStatus: 'New' }
    ]
  })
  t.same(gooten.cancels.map(({ gootenId, itemIds }) => ({ gootenId, itemIds })), [{ gootenId: 520718, itemIds: [3, 1] }])
  t.same(locks.keys, ['gooten:520718'], 'one lock, by Gooten\'s own id, whatever the id form asked for')
})

t.test('cancel by numeric id of an order without a Safe Order ID: answered with the requested id', async (t) => {
  const gooten = new FakeGooten([order([[1, 'New']], 520718, null)], [{ succeeded: [1], refusals: new Map() }])
  const { service, context, locks } = setup(gooten)
  const outcome = await service.cancel(request([1], { orderId: '520718' }), context)
  t.equal(outcome.orderId, '520718')
  t.equal(outcome.outcome, 'cancelled')
  t.same(locks.keys, ['gooten:520718'])
})

t.test('cancel partly accepted: partially_cancelled', async (t) => {
  const gooten = new FakeGooten([order([[1, 'New'], [2, 'New']])], [{ succeeded: [1], refusals: new Map([[2, 'not_cancellable_status']]) }])
  const { service, context } = setup(gooten)
  const outcome = await service.cancel(request([1, 2]), context)
  t.equal(outcome.outcome, 'partially_cancelled')
  t.same(outcome.items.map((i) => [i.itemId, i.result]), [[1, 'cancelled'], [2, 'failed']])
})

t.test('cancel refused for every item: CANCEL_REJECTED', async (t) => {
  const gooten = new FakeGooten([order([[1, 'New'], [2, 'New']])], [{ succeeded: [], refusals: new Map() }])
  const { service, context } = setup(gooten)
  const error = await rejection(service.cancel(request([1, 2]), context), CancellationError)
  t.equal(error.code, 'CANCEL_REJECTED')
  t.same(error.items.map((i) => i.result), ['failed', 'failed'])
  t.equal(gooten.lookups.length, 1, 'a clear refusal needs no second lookup')
})

t.test('cancel outcome unknown, and the order now shows every item cancelled: cancelled', async (t) => {
  const gooten = new FakeGooten(
    [order([[1, 'New'], [2, 'Hold'], [3, 'Cancelled']]), order([[1, 'Cancelled'], [2, 'Canceled'], [3, 'Cancelled'], [null, 'Cancelled']])],
    [timeout()]
  )
  const { service, context, warnings } = setup(gooten, 1234)
  const deadline = new Deadline(8000, () => 0)
  const outcome = await service.cancel(request([1, 2, 3]), { ...context, deadline }).catch((e: unknown) => e)
  t.same(outcome, {
    orderId: SAFE_ID,
    gootenOrderId: 520718,
    outcome: 'cancelled',
    items: [
      { itemId: 1, result: 'cancelled', previousStatus: 'New' },
      { itemId: 2, result: 'cancelled', previousStatus: 'Hold' },
      { itemId: 3, result: 'already_cancelled', previousStatus: 'Cancelled' }
    ]
  })
  t.equal(gooten.lookups.length, 2)
  t.equal(gooten.cancels.length, 1)
  const verify = gooten.lookups[1]?.context
  t.equal(gooten.lookups[1]?.orderId, SAFE_ID)
  t.equal(gooten.cancels[0]?.context.deadline.at, 8000 - 1234, 'the cancel call keeps the reserve back')
  t.equal(verify?.deadline, deadline, 'the verification has the rest of the request\'s deadline')
  t.equal(verify?.log, context.log)
  t.same(warnings, [])
})

t.test('cancel outcome unknown, and only some items show cancelled: OUTCOME_UNKNOWN', async (t) => {
  const failure = new GootenError('connection_failed', 'cancelItems', 'reset', { code: 'ECONNRESET' })
  const gooten = new FakeGooten(
    [order([[1, 'New'], [2, 'Hold'], [3, 'Cancelled']]), order([[1, 'Cancelled'], [2, 'Hold'], [3, 'Cancelled']])],
    [failure]
  )
  const { service, context } = setup(gooten)
  const error = await rejection(service.cancel(request([3, 1, 2]), context), OutcomeUnknownError)
  t.equal(error.failure, failure)
  t.same(error.items, [
    { itemId: 3, result: 'already_cancelled', previousStatus: 'Cancelled' },
    { itemId: 1, result: 'cancelled', previousStatus: 'New' },
    { itemId: 2, result: 'unknown', previousStatus: 'Hold', reason: 'The cancel call failed midway and Gooten does not show this item cancelled yet; it may still be.' }
  ])
})

t.test('cancel outcome unknown, and the verification lookup fails too: OUTCOME_UNKNOWN, logged', async (t) => {
  const failure = new GootenError('unavailable', 'cancelItems', 'HTTP 502', { status: 502 })
  const gooten = new FakeGooten(
    [order([[1, 'New'], [2, 'Hold']]), new GootenError('timeout', 'getOrder', 'x')],
    [failure]
  )
  const { service, context, warnings } = setup(gooten)
  const error = await rejection(service.cancel(request([1, 2]), context), OutcomeUnknownError)
  t.equal(error.failure, failure)
  t.same(error.items.map((i) => [i.itemId, i.result]), [[1, 'unknown'], [2, 'unknown']])
  t.same(warnings.map((w) => w.object), [{ op: 'getOrder', outcome: 'timeout' }])
})

t.test('a verification lookup that finds no order: OUTCOME_UNKNOWN', async (t) => {
  const gooten = new FakeGooten([order([[1, 'New']]), new GootenError('not_found', 'getOrder', 'x')], [timeout()])
  const { service, context } = setup(gooten)
  t.type(await rejection(service.cancel(request([1]), context), OutcomeUnknownError), OutcomeUnknownError)
})

t.test('with less time left than twice the reserve, the cancel call and its verification get half each', async (t) => {
  const gooten = new FakeGooten([order([[1, 'New']]), order([[1, 'Cancelled']])], [timeout()])
  const { service, context } = setup(gooten, 2000)
  const deadline = new Deadline(1000, () => 0)
  await service.cancel(request([1]), { ...context, deadline })
  t.equal(gooten.cancels[0]?.context.deadline.at, 500)
  t.equal(gooten.lookups[1]?.context.deadline, deadline)
})

t.test('the verification lookup ends at the request\'s deadline', async (t) => {
  let verifySignal: AbortSignal | undefined
  const gooten = new FakeGooten(
    [order([[1, 'New']]), async (context) => {
      verifySignal = context.deadline.signal
      return await new Promise<GootenOrder>((_resolve, reject) => {
        context.deadline.signal.addEventListener('abort', () => reject(new GootenError('timeout', 'getOrder', 'x')), { once: true })
      })
    }],
    [timeout()]
  )
  const { service, context, warnings } = setup(gooten, 20)
  // AbortSignal.timeout's timer does not hold the process open; a server's sockets would.
  const keepAlive = setInterval(() => {}, 1000)
  t.teardown(() => clearInterval(keepAlive))
  const error = await rejection(service.cancel(request([1]), { ...context, deadline: Deadline.in(40) }), OutcomeUnknownError)
  t.equal(error.failure.failure, 'timeout')
  t.equal(verifySignal?.aborted, true, 'the verification gave up at the deadline')
  t.same(warnings.map((w) => w.object.outcome), ['timeout'])
})

t.test('a cancel that provably never reached Gooten is passed on without verification', async (t) => {
  for (const failure of [
    new GootenError('connection_failed', 'cancelItems', 'refused', { code: 'ECONNREFUSED', neverSent: true }),
    new GootenError('circuit_open', 'cancelItems', 'open', { neverSent: true }),
    new GootenError('overloaded', 'cancelItems', 'full', { neverSent: true })
  ]) {
    const gooten = new FakeGooten([order([[1, 'New']])], [failure])
    const { service, context } = setup(gooten)
    t.equal(await rejection(service.cancel(request([1]), context), GootenError), failure, failure.failure)
    t.equal(gooten.lookups.length, 1, `${failure.failure}: no second lookup`)
  }
})

t.test('an unexpected error from the gateway is passed on without verification', async (t) => {
  const surprise = new TypeError('bug')
  const gooten = new FakeGooten([order([[1, 'New']])], [surprise])
  const { service, context } = setup(gooten)
  t.equal(await rejection(service.cancel(request([1]), context), TypeError), surprise)
  t.equal(gooten.lookups.length, 1)
})

t.test('concurrent cancels of one order run one after the other; the one that waited reads the order again', async (t) => {
  let status = 'New'
  let releaseCancel!: () => void
  const cancelHeld = new Promise<void>((resolve) => { releaseCancel = resolve })
  const gooten = new FakeGooten(
    [async () => order([[1, status]]), async () => order([[1, status]]), async () => order([[1, status]])],
    [async () => {
      await cancelHeld
      status = 'Cancelled'
      return { succeeded: [1], refusals: new Map() }
    }]
  )
  const { service, context } = setup(gooten)
  const first = service.cancel(request([1]), context)
  const second = service.cancel(request([1], { orderId: '520718' }), context)
  await new Promise((resolve) => setImmediate(resolve))
  t.equal(gooten.cancels.length, 1, 'the second waits for the first\'s cancel')
  releaseCancel()
  t.equal((await first).items[0]?.result, 'cancelled')
  t.same((await second).items, [{ itemId: 1, result: 'already_cancelled', previousStatus: 'Cancelled' }])
  t.equal(gooten.cancels.length, 1, 'exactly one cancel reached Gooten')
  t.same(gooten.lookups.map((lookup) => lookup.orderId), [SAFE_ID, '520718', '520718'], 'one read each, and a read again under the lock')
})

t.test('a read again under the lock that shows another GootenId is not trusted', async (t) => {
  const gooten = new FakeGooten([order([[1, 'New']]), order([[1, 'New']], 1)])
  const alwaysStale: OrderLocks = { stamp: async () => 0, run: async (_key, _since, _signal, task) => await task(true, { markInDoubt: async () => [], clearInDoubt: async () => {} }) }
  const service = new CancellationService({ gooten, locks: alwaysStale, verificationReserveMs: 1000, inDoubtMs: 60_000 })
  await rejection(service.cancel(request([1]), setup(gooten).context), UnaddressableOrderError)
  t.equal(gooten.cancels.length, 0)
})

t.test('an unknown outcome leaves the unconfirmed items in doubt: no further cancel of them is forwarded', async (t) => {
  const gooten = new FakeGooten(
    [order([[1, 'New'], [2, 'Hold']]), order([[1, 'Cancelled'], [2, 'Hold']]), order([[1, 'Cancelled'], [2, 'Hold']]), order([[1, 'Cancelled'], [2, 'Cancelled']])],
    [timeout()]
  )
  const locks = new InProcessLocks()
  const service = new CancellationService({ gooten, locks, verificationReserveMs: 1000, inDoubtMs: 60_000 })
  const { context } = setup(gooten)
  await rejection(service.cancel(request([1, 2]), context), OutcomeUnknownError)
  const refused = await rejection(service.cancel(request([2, 1]), context), CancelInDoubtError)
  t.same(refused.items, [
    { itemId: 2, result: 'unknown', previousStatus: 'Hold', reason: 'A cancel of this item sent earlier has an unknown outcome and Gooten may still apply it; not forwarded again.' },
    { itemId: 1, result: 'already_cancelled', previousStatus: 'Cancelled' }
  ])
  t.ok(refused.retryAfterMs > 59_000 && refused.retryAfterMs <= 60_000 + 8000, 'until the mark ends')
  t.equal(gooten.cancels.length, 1, 'nothing forwarded')
  const later = await service.cancel(request([2]), context)
  t.same(later.items, [{ itemId: 2, result: 'already_cancelled', previousStatus: 'Cancelled' }], 'once Gooten shows it: already cancelled')
})

t.test('an item in doubt blocks the whole request: the others are not attempted', async (t) => {
  const gooten = new FakeGooten([order([[1, 'New'], [2, 'New']])])
  const marked: HeldLock = { markInDoubt: async () => [{ itemId: 2, remainingMs: 5000 }], clearInDoubt: async () => {} }
  const locks: OrderLocks = { stamp: async () => 0, run: async (_key, _since, _until, task) => await task(false, marked) }
  const service = new CancellationService({ gooten, locks, verificationReserveMs: 1000, inDoubtMs: 60_000 })
  const refused = await rejection(service.cancel(request([1, 2]), setup(gooten).context), CancelInDoubtError)
  t.same(refused.items.map((item) => [item.itemId, item.result]), [[1, 'not_attempted'], [2, 'unknown']])
  t.equal(refused.items[0]?.reason, 'Not forwarded: another requested item has a cancel with an unknown outcome.')
  t.equal(refused.retryAfterMs, 5000)
})

t.test('marks are written before the call, for the deadline plus the in-doubt window, and ended once the outcome is known', async (t) => {
  const log: string[] = []
  const lock: HeldLock = {
    markInDoubt: async (itemIds, ms) => { log.push(`mark ${itemIds.join(',')} ${ms}`); return [] },
    clearInDoubt: async (itemIds) => { log.push(`clear ${itemIds.join(',')}`) }
  }
  const locks: OrderLocks = { stamp: async () => 0, run: async (_key, _since, _until, task) => await task(false, lock) }
  const cases: Array<[string, Step<GootenCancelReply>, Array<Step<GootenOrder>>]> = [
    ['answered', { succeeded: [1], refusals: new Map() }, []],
    ['refused', { succeeded: [], refusals: new Map([[1, 'not_cancellable_now']]) }, []],
    ['never sent', new GootenError('circuit_open', 'cancelItems', 'open', { neverSent: true }), []],
    ['verified', timeout(), [order([[1, 'Cancelled']])]]
  ]
  for (const [name, reply, verification] of cases) {
    log.length = 0
    const gooten = new FakeGooten([order([[1, 'New']]), ...verification], [reply])
    const service = new CancellationService({ gooten, locks, verificationReserveMs: 1000, inDoubtMs: 60_000 })
    await service.cancel(request([1]), { ...setup(gooten).context, deadline: new Deadline(8000, () => 0) }).catch(() => {})
    t.same(log, ['mark 1 68000', 'clear 1'], name)
  }
})

t.test('marks that cannot be ended run out on their own, with a warning; the answer stands', async (t) => {
  const lock: HeldLock = { markInDoubt: async () => [], clearInDoubt: async () => { throw new Error('store gone') } }
  const locks: OrderLocks = { stamp: async () => 0, run: async (_key, _since, _until, task) => await task(false, lock) }
  const gooten = new FakeGooten([order([[1, 'New']])], [{ succeeded: [1], refusals: new Map() }])
  const service = new CancellationService({ gooten, locks, verificationReserveMs: 1000, inDoubtMs: 60_000 })
  const { context, warnings } = setup(gooten)
  t.equal((await service.cancel(request([1]), context)).outcome, 'cancelled')
  t.same(warnings.map((w) => w.message), ['could not end the in-doubt marks of a settled cancel; they run out on their own'])
})

t.test('an answer from Gooten itself settles the call; a gateway\'s 502 or 504 leaves the items in doubt', async (t) => {
  const cases: Array<[status: number, settled: boolean]> = [[503, true], [500, true], [502, false], [504, false]]
  for (const [status, settled] of cases) {
    const answered = new GootenError('unavailable', 'cancelItems', `HTTP ${status}`, { status })
    const gooten = new FakeGooten([order([[1, 'New']]), order([[1, 'New']]), order([[1, 'New']])], [answered, { succeeded: [1], refusals: new Map() }])
    const service = new CancellationService({ gooten, locks: new InProcessLocks(), verificationReserveMs: 1000, inDoubtMs: 60_000 })
    const { context } = setup(gooten)
    await rejection(service.cancel(request([1]), context), OutcomeUnknownError)
    const again = service.cancel(request([1]), context)
    if (settled) {
      await again
      t.equal(gooten.cancels.length, 2, `${status}: the call ran its course at Gooten, so a retry is forwarded`)
    } else {
      await rejection(again, CancelInDoubtError)
      t.equal(gooten.cancels.length, 1, `${status}: a request may still run behind the gateway, so nothing more is forwarded`)
    }
  }
})
