// Property tests: concurrent cancels of one order, in every order fast-check's scheduler can find for
// their lookups, lock operations and cancel calls, on one replica or several sharing a lock store.
import fc from 'fast-check'
import t from 'tap'
import type { GootenGateway, OrderLocks } from '../../../src/cancellation/ports.js'
import { CancellationService } from '../../../src/cancellation/service.js'
import type { CancelOutcome } from '../../../src/cancellation/types.js'
import type { CallContext } from '../../../src/gooten/client.js'
import { Deadline } from '../../../src/gooten/deadline.js'
import type { GootenCancelReply, GootenOrder, RefusalReason } from '../../../src/gooten/types.js'
import { InProcessLocks } from '../../../src/stores/locks/in-process.js'
import { SharedLocks } from '../../../src/stores/locks/shared.js'
import { MemoryLockBackend } from '../../helpers/memory-lock-backend.js'

const SAFE_ID = '13-f91acc87-bd23-40df-91f4-72dad9a3c971'
const GOOTEN_ID = 520718
const STATUSES: ReadonlyArray<[number, string]> = [[1, 'New'], [2, 'Hold'], [3, 'Pending']]

/**
 * One Gooten order, reachable by either id form. A call reads or changes the order when it
 * reaches Gooten, and its answer comes back later: the scheduler decides both moments.
 */
class ScheduledGooten implements GootenGateway {
  readonly statuses = new Map(STATUSES)
  readonly cancelCalls: number[][] = []

  constructor (private readonly s: fc.Scheduler, private readonly recancel: 'success' | 'error') {}

  async getOrder (orderId: string): Promise<GootenOrder> {
    await this.s.schedule(Promise.resolve(), `lookup ${orderId} reaches Gooten`)
    const snapshot: GootenOrder = {
      safeId: SAFE_ID,
      gootenId: GOOTEN_ID,
      items: [...this.statuses].map(([itemId, status]) => ({ itemId, sku: null, quantity: 1, status }))
    }
    await this.s.schedule(Promise.resolve(), `lookup ${orderId} answered`)
    return snapshot
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
