// Property tests: concurrent cancels of one order, in every order fast-check's scheduler can find for
// their lookups, lock operations and cancel calls, on one replica or several sharing a lock store.
import fc from 'fast-check'
import t from 'tap'
import type { GootenGateway, OrderLocks } from '../../../src/cancellation/ports.js'
import { CancellationService } from '../../../src/cancellation/service.js'
import type { CancelOutcome } from '../../../src/cancellation/types.js'
import type { CallContext } from '../../../src/gooten/client.js'
import { Deadline } from '../../../src/gooten/deadline.js'
import { GootenError } from '../../../src/gooten/errors.js'
import type { GootenCancelReply, GootenOrder, RefusalReason } from '../../../src/gooten/types.js'
import { MemoryInDoubtMarks } from '../../../src/stores/locks/in-doubt-memory.js'
import { InProcessLocks } from '../../../src/stores/locks/in-process.js'
import { SharedLocks } from '../../../src/stores/locks/shared.js'
import { MemoryLockBackend } from '../../helpers/memory-lock-backend.js'

const SAFE_ID = '13-f91acc87-bd23-40df-91f4-72dad9a3c971'
const GOOTEN_ID = 520718
const STATUSES: ReadonlyArray<[number, string]> = [[1, 'New'], [2, 'Hold'], [3, 'Pending']]

/** Gooten's answer to a lookup: the statuses as they are when it is read, the read and its answer two scheduled steps. */
async function scheduledLookup (s: fc.Scheduler, statuses: ReadonlyMap<number, string>, orderId: string): Promise<GootenOrder> {
  await s.schedule(Promise.resolve(), `lookup ${orderId} reaches Gooten`)
  const snapshot: GootenOrder = {
    safeId: SAFE_ID,
    gootenId: GOOTEN_ID,
    items: [...statuses].map(([itemId, status]) => ({ itemId, sku: null, quantity: 1, status }))
  }
  await s.schedule(Promise.resolve(), `lookup ${orderId} answered`)
  return snapshot
}

/**
 * One Gooten order, reachable by either id form. A call reads or changes the order when it
 * reaches Gooten, and its answer comes back later: the scheduler decides both moments.
 */
class ScheduledGooten implements GootenGateway {
  readonly statuses = new Map(STATUSES)
  readonly cancelCalls: number[][] = []

  constructor (private readonly s: fc.Scheduler, private readonly recancel: 'success' | 'error') {}

  async getOrder (orderId: string): Promise<GootenOrder> {
    return await scheduledLookup(this.s, this.statuses, orderId)
  }

  async cancelItems (_gootenId: number, itemIds: readonly number[]): Promise<GootenCancelReply> {
    await this.s.schedule(Promise.resolve(), `cancel ${itemIds.join(',')} reaches Gooten`)
    this.cancelCalls.push([...itemIds])
    const succeeded: number[] = []
    const refusals = new Map<number, RefusalReason>()
    for (const id of itemIds) {
      if (this.statuses.get(id) !== 'Cancelled') {
        this.statuses.set(id, 'Cancelled')
        succeeded.push(id)
      } else if (this.recancel === 'success') succeeded.push(id)
      else refusals.set(id, 'not_cancellable_status')
    }
    await this.s.schedule(Promise.resolve(), `cancel ${itemIds.join(',')} answered`)
    return { succeeded, refusals }
  }
}

const context: CallContext = {
  deadline: Deadline.in(600_000),
  log: { debug: () => {}, warn: () => {}, error: () => {} },
  calls: []
}

const cancelRequest = fc.record({
  orderId: fc.constantFrom(SAFE_ID, String(GOOTEN_ID), SAFE_ID.toUpperCase()),
  replica: fc.nat({ max: 2 }),
  itemIds: fc.shuffledSubarray([1, 2, 3], { minLength: 1 })
})

type Answer = { ok: true, outcome: CancelOutcome } | { ok: false, error: unknown }
interface RacingCancel { orderId: string, replica: number, itemIds: number[] }

async function race (
  s: fc.Scheduler,
  recancel: 'success' | 'error',
  requests: RacingCancel[],
  locksFor: (replica: number) => OrderLocks
): Promise<{ gooten: ScheduledGooten, answers: Answer[] }> {
  const gooten = new ScheduledGooten(s, recancel)
  const replicas = [0, 1, 2].map((replica) => new CancellationService({ gooten, locks: locksFor(replica), verificationReserveMs: 1000, inDoubtMs: 60_000 }))
  const running = requests.map(async ({ orderId, replica, itemIds }): Promise<Answer> => {
    try {
      return { ok: true, outcome: await (replicas[replica] as CancellationService).cancel({ orderId, itemIds, dryRun: false }, context) }
    } catch (error) {
      return { ok: false, error }
    }
  })
  const answers = await s.waitFor(Promise.all(running))
  return { gooten, answers }
}

/** Each item reaches Gooten at most once; exactly one caller is told it was cancelled, the others that it already was. */
function checkExactlyOnce (gooten: ScheduledGooten, answers: Answer[]): void {
  const forwarded = gooten.cancelCalls.flat()
  if (new Set(forwarded).size !== forwarded.length) throw new Error(`an item reached Gooten twice: ${JSON.stringify(gooten.cancelCalls)}`)
  for (const answer of answers) {
    if (!answer.ok) throw new Error(`a cancel failed: ${String(answer.error)}`)
  }
  const outcomes = answers.map((answer) => (answer as { outcome: CancelOutcome }).outcome)
  for (const [itemId, status] of STATUSES) {
    const results = outcomes.flatMap((outcome) => outcome.items.filter((item) => item.itemId === itemId))
    if (results.length === 0) continue
    const cancelled = results.filter((item) => item.result === 'cancelled')
    if (cancelled.length !== 1 || cancelled[0]?.previousStatus !== status) throw new Error(`item ${itemId}: told cancelled ${cancelled.length} times`)
    if (results.some((item) => item.result !== 'cancelled' && item.result !== 'already_cancelled')) {
      throw new Error(`item ${itemId}: ${JSON.stringify(results)}`)
    }
  }
  if (outcomes.some((outcome) => outcome.outcome !== 'cancelled')) throw new Error('every caller sees its items cancelled')
}

const RUNS = { numRuns: 300 }

t.test('one replica: any interleaving, any id forms, exactly one upstream cancel per item', async (t) => {
  await fc.assert(fc.asyncProperty(fc.scheduler(), fc.constantFrom('success', 'error' as const), fc.array(cancelRequest, { minLength: 2, maxLength: 4 }),
    async (s, recancel, requests) => {
      const locks = new InProcessLocks()
      const { gooten, answers } = await race(s, recancel, requests, () => locks)
      checkExactlyOnce(gooten, answers)
    }), RUNS)
  t.pass('300 interleavings')
})

t.test('replicas sharing a lock store: any interleaving of store round trips too', async (t) => {
  await fc.assert(fc.asyncProperty(fc.scheduler(), fc.constantFrom('success', 'error' as const), fc.array(cancelRequest, { minLength: 2, maxLength: 4 }),
    async (s, recancel, requests) => {
      const backend = new MemoryLockBackend(async (label) => { await s.schedule(Promise.resolve(), label) })
      const pause = async (): Promise<void> => { await s.schedule(Promise.resolve(), 'poll pause') }
      const locks = [0, 1, 2].map(() => new SharedLocks(backend, pause))
      const { gooten, answers } = await race(s, recancel, requests, (replica) => locks[replica] as SharedLocks)
      checkExactlyOnce(gooten, answers)
      if (backend.held.length !== 0) throw new Error('a lock was left held')
    }), RUNS)
  t.pass('300 interleavings')
})

// ---- Faults: a Gooten that applies a cancel after the caller gave up, a lock store that forgets ----

/** Model time, in ms: deadlines, in-doubt marks and the lock-delay run on it; it moves only when told. */
class ModelClock {
  now = 0
}

const TIMEOUT_MS = 8000
const IN_DOUBT_MS = 180_000
/** Gooten applies a call within this long of its sending, or never: what the in-doubt window must exceed. */
const GOOTEN_MAX_EXECUTION_MS = 125_000
const LOCK_DELAY_MS = TIMEOUT_MS + 10_000 + IN_DOUBT_MS

type CallFate = 'answered' | 'applied late' | 'never applied'

interface SentCancel { caller: number, itemIds: number[], sentAt: number, settled: boolean }

/**
 * One Gooten order whose cancel calls may outlive their callers: a call is sent (the transport
 * refuses to once the deadline has passed), reaches Gooten and is applied, each at a moment the
 * scheduler picks; or its caller gives up (a timeout) while Gooten applies it later, or never. Time
 * passes only through `advance`, which first settles every call Gooten would have finished by then.
 * It checks, as each call is sent and applied, that no item is forwarded while an earlier call of it
 * may still apply, nor once Gooten shows it cancelled; and it remembers who cancelled each item.
 */
class LateGooten implements GootenGateway {
  readonly statuses = new Map(STATUSES)
  readonly sent: SentCancel[] = []
  readonly cancelledBy = new Map<number, number>()
  readonly violations: string[] = []
  #calls = 0

  constructor (
    private readonly s: fc.Scheduler,
    private readonly clock: ModelClock,
    private readonly fates: CallFate[],
    private readonly callerOf: (context: CallContext) => number
  ) {}

  async getOrder (orderId: string): Promise<GootenOrder> {
    return await scheduledLookup(this.s, this.statuses, orderId)
  }

  async cancelItems (_gootenId: number, itemIds: readonly number[], context: CallContext): Promise<GootenCancelReply> {
    if (context.deadline.remainingMs <= 0) throw new GootenError('timeout', 'cancelItems', 'deadline passed before sending', { neverSent: true })
    const call: SentCancel = { caller: this.callerOf(context), itemIds: [...itemIds], sentAt: this.clock.now, settled: false }
    for (const other of this.sent) {
      const overlap = other.itemIds.filter((id) => itemIds.includes(id))
      if (!other.settled && overlap.length > 0) this.violations.push(`items ${overlap.join(',')} sent while an earlier cancel of them may still apply`)
    }
    this.sent.push(call)
    const fate = this.fates[this.#calls++ % this.fates.length] as CallFate
    const label = `cancel ${itemIds.join(',')} by ${call.caller}`
    if (fate === 'answered') {
      await this.s.schedule(Promise.resolve(), `${label} reaches Gooten`)
      const succeeded = this.#apply(call)
      await this.s.schedule(Promise.resolve(), `${label} answered`)
      return { succeeded, refusals: new Map() }
    }
    // The caller gives up; Gooten applies the call at a moment of its own, or never.
    this.s.schedule(Promise.resolve(), `${label} settles at Gooten (${fate})`).then(() => this.#settle(call, fate)).catch(() => {})
    await this.s.schedule(Promise.resolve(), `${label}: the caller gives up`)
    throw new GootenError('timeout', 'cancelItems', 'no answer in time')
  }

  /** Time passes: every call Gooten would have finished by then is settled first. */
  advance (ms: number): void {
    for (const call of this.sent) {
      if (!call.settled && call.sentAt + GOOTEN_MAX_EXECUTION_MS <= this.clock.now + ms) this.#settle(call, 'applied late')
    }
    this.clock.now += ms
  }

  #settle (call: SentCancel, fate: CallFate): void {
    if (call.settled) return
    if (fate === 'never applied') call.settled = true
    else this.#apply(call)
  }

  #apply (call: SentCancel): number[] {
    if (call.settled) return [...call.itemIds]
    call.settled = true
    for (const id of call.itemIds) {
      if (this.statuses.get(id) === 'Cancelled') this.violations.push(`item ${id} reached Gooten again after it was cancelled`)
      else this.cancelledBy.set(id, call.caller)
      this.statuses.set(id, 'Cancelled')
    }
    return [...call.itemIds]
  }
}

/** Failures a caller may see under these faults; anything else is a bug. */
const EXPECTED_FAILURES = new Set(['OutcomeUnknownError', 'CancelInDoubtError', 'StoreUnavailableError', 'LockDelayError', 'GootenError'])

/** Each item reaches Gooten at most once per in-doubt window; a caller told `cancelled` made that cancel itself. */
function checkNoDoubleCancel (gooten: LateGooten, answers: Answer[]): void {
  if (gooten.violations.length > 0) throw new Error(gooten.violations.join('; '))
  answers.forEach((answer, caller) => {
    if (!answer.ok) {
      if (!EXPECTED_FAILURES.has((answer.error as Error).name)) throw answer.error
      return
    }
    for (const item of answer.outcome.items) {
      if (item.result === 'cancelled' && gooten.cancelledBy.get(item.itemId) !== caller) {
        throw new Error(`caller ${caller} told item ${item.itemId} cancelled, which caller ${String(gooten.cancelledBy.get(item.itemId))} cancelled`)
      }
    }
  })
}

/** What may happen between the steps of the cancels: time passing, or the lock store losing everything. */
type Happening = 'a second passes' | 'a lock-delay passes' | 'an in-doubt window passes' | 'the store loses everything'
const happenings = (withLoss: boolean): fc.Arbitrary<Happening[]> => fc.array(fc.constantFrom<Happening>(
  'a second passes', 'a lock-delay passes', 'an in-doubt window passes', ...(withLoss ? ['the store loses everything' as const] : [])
), { maxLength: 4 })

const fates = fc.array(fc.constantFrom<CallFate>('answered', 'applied late', 'never applied'), { minLength: 1, maxLength: 4 })

/** Requests start at moments the scheduler picks (a retry comes after time has passed), each with its own deadline. */
async function raceWithFaults (
  s: fc.Scheduler,
  clock: ModelClock,
  requests: RacingCancel[],
  callFates: CallFate[],
  events: Happening[],
  locksFor: (replica: number) => OrderLocks,
  lose: () => void
): Promise<{ gooten: LateGooten, answers: Answer[] }> {
  const callers = new WeakMap<object, number>()
  const gooten = new LateGooten(s, clock, callFates, (context) => callers.get(context.calls) as number)
  const replicas = [0, 1, 2].map((replica) => new CancellationService({ gooten, locks: locksFor(replica), verificationReserveMs: 1000, inDoubtMs: IN_DOUBT_MS }))
  const running = requests.map(async ({ orderId, replica, itemIds }, caller): Promise<Answer> => {
    await s.schedule(Promise.resolve(), `request ${caller} starts`)
    const own: CallContext = { ...context, deadline: new Deadline(clock.now + TIMEOUT_MS, () => clock.now), calls: [] }
    callers.set(own.calls, caller)
    try {
      return { ok: true, outcome: await (replicas[replica] as CancellationService).cancel({ orderId, itemIds, dryRun: false }, own) }
    } catch (error) {
      return { ok: false, error }
    }
  })
  const happening = events.map(async (event) => {
    await s.schedule(Promise.resolve(), event)
    if (event === 'the store loses everything') lose()
    else gooten.advance(event === 'a second passes' ? 1000 : event === 'a lock-delay passes' ? LOCK_DELAY_MS : IN_DOUBT_MS + TIMEOUT_MS)
  })
  const answers = await s.waitFor(Promise.all(running))
  await s.waitFor(Promise.all(happening))
  return { gooten, answers }
}

t.test('late-applying Gooten, one replica: no item sent twice while a call of it may still apply', async (t) => {
  await fc.assert(fc.asyncProperty(fc.scheduler(), fates, happenings(false), fc.array(cancelRequest, { minLength: 2, maxLength: 4 }),
    async (s, callFates, events, requests) => {
      const clock = new ModelClock()
      const locks = new InProcessLocks(10_000, new MemoryInDoubtMarks(() => clock.now))
      const { gooten, answers } = await raceWithFaults(s, clock, requests, callFates, events, () => locks, () => {})
      checkNoDoubleCancel(gooten, answers)
    }), RUNS)
  t.pass('300 interleavings')
})

// The store loses everything once at least, at a step the scheduler picks (it may be the first or the last).
const withLoss = happenings(true).map((events): Happening[] => ['the store loses everything', ...events])

t.test('late-applying Gooten, replicas sharing a lock store that loses everything at any step', async (t) => {
  await fc.assert(fc.asyncProperty(fc.scheduler(), fates, withLoss, fc.array(cancelRequest, { minLength: 2, maxLength: 4 }),
    async (s, callFates, events, requests) => {
      const clock = new ModelClock()
      const backend = new MemoryLockBackend(async (label) => { await s.schedule(Promise.resolve(), label) }, { now: () => clock.now, lockDelayMs: LOCK_DELAY_MS })
      const pause = async (): Promise<void> => { await s.schedule(Promise.resolve(), 'poll pause') }
      const locks = [0, 1, 2].map(() => new SharedLocks(backend, pause))
      const { gooten, answers } = await raceWithFaults(s, clock, requests, callFates, events, (replica) => locks[replica] as SharedLocks, () => backend.loseEverything())
      checkNoDoubleCancel(gooten, answers)
    }), RUNS)
  t.pass('300 interleavings')
})
