import t from 'tap'
import { CancellationError } from '../../../src/cancellation/errors.js'
import type { CancelPlan } from '../../../src/cancellation/plan.js'
import { reconcile, resultsFor, withoutForwarding } from '../../../src/cancellation/reconcile.js'
import type { RefusalReason } from '../../../src/gooten/types.js'

// Requested in the order 4, 1, 2, 3; item 4 was already cancelled.
const plan: CancelPlan = {
  items: [
    { itemId: 4, previousStatus: 'Cancelled', alreadyCancelled: true },
    { itemId: 1, previousStatus: 'New', alreadyCancelled: false },
    { itemId: 2, previousStatus: 'Hold', alreadyCancelled: false },
    { itemId: 3, previousStatus: 'Pending', alreadyCancelled: false }
  ],
  toForward: [1, 2, 3]
}

function reply (succeeded: number[], refusals: Array<[number, RefusalReason]> = []) {
  return { succeeded, refusals: new Map(refusals) }
}

t.test('every forwarded item confirmed: cancelled', async (t) => {
  t.same(reconcile(plan, reply([3, 2, 1])), {
    outcome: 'cancelled',
    items: [
      { itemId: 4, result: 'already_cancelled', previousStatus: 'Cancelled' },
      { itemId: 1, result: 'cancelled', previousStatus: 'New' },
      { itemId: 2, result: 'cancelled', previousStatus: 'Hold' },
      { itemId: 3, result: 'cancelled', previousStatus: 'Pending' }
    ]
  })
})

t.test('some confirmed: partially cancelled, the rest failed with a reason', async (t) => {
  const result = reconcile(plan, reply([1], [[2, 'not_cancellable_status']]))
  t.equal(result.outcome, 'partially_cancelled')
  t.same(result.items.map((i) => [i.itemId, i.result]), [[4, 'already_cancelled'], [1, 'cancelled'], [2, 'failed'], [3, 'failed']])
  t.equal(result.items[2]?.reason, 'Gooten refused: the item is no longer in a pre-production status.')
  t.equal(result.items[3]?.reason, 'Gooten did not confirm the cancel of this item.', 'missing from Success without a refusal: unconfirmed')
})

t.test('an item refused yet listed in Success counts as cancelled', async (t) => {
  t.equal(reconcile(plan, reply([1, 2, 3], [[2, 'unrecognised']])).outcome, 'cancelled')
})

t.test('an already-cancelled item Gooten lists neither way stays already_cancelled', async (t) => {
  const result = reconcile(plan, reply([1, 2, 3], [[4, 'not_in_order']]))
  t.equal(result.items[0]?.result, 'already_cancelled')
})

t.test('none confirmed: CANCEL_REJECTED with each reason', async (t) => {
  let caught: unknown
  try {
    reconcile(plan, reply([], [[1, 'not_cancellable_status'], [2, 'not_in_order'], [3, 'unrecognised']]))
  } catch (error) {
    caught = error
  }
  t.ok(caught instanceof CancellationError)
  const error = caught as CancellationError
  t.equal(error.code, 'CANCEL_REJECTED')
  t.same(error.items, [
    { itemId: 4, result: 'already_cancelled', previousStatus: 'Cancelled' },
    { itemId: 1, result: 'failed', previousStatus: 'New', reason: 'Gooten refused: the item is no longer in a pre-production status.' },
    { itemId: 2, result: 'failed', previousStatus: 'Hold', reason: 'Gooten refused: it does not know this item in the order.' },
    { itemId: 3, result: 'failed', previousStatus: 'Pending', reason: 'Gooten refused the cancel without a reason we recognise.' }
  ])
})

t.test('withoutForwarding: would_cancel or already_cancelled, in request order', async (t) => {
  t.same(withoutForwarding(plan), [
    { itemId: 4, result: 'already_cancelled', previousStatus: 'Cancelled' },
    { itemId: 1, result: 'would_cancel', previousStatus: 'New' },
    { itemId: 2, result: 'would_cancel', previousStatus: 'Hold' },
    { itemId: 3, result: 'would_cancel', previousStatus: 'Pending' }
  ])
})

t.test('resultsFor asks only about forwarded items', async (t) => {
  const asked: number[] = []
  const items = resultsFor(plan, ({ itemId, previousStatus }) => {
    asked.push(itemId)
    return { itemId, result: 'unknown', previousStatus }
  })
  t.same(asked, [1, 2, 3])
  t.same(items.map((i) => i.result), ['already_cancelled', 'unknown', 'unknown', 'unknown'])
})
