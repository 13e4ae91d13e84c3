import type { GootenCancelReply, RefusalReason } from '../gooten/types.js'
import { CancellationError } from './errors.js'
import type { CancelPlan, PlannedItem } from './plan.js'
import type { CancelOutcomeKind, ItemResult } from './types.js'
import { PROBLEMS } from '../problems/catalogue.js'

export const REFUSAL_TEXT: Record<RefusalReason | 'unconfirmed', string> = {
  not_cancellable_status: 'Gooten refused: the item is no longer in a pre-production status.',
  not_cancellable_now: 'Gooten refused to cancel the item at this time; a later request may succeed.',
  not_in_order: 'Gooten refused: it does not know this item in the order.',
  unrecognised: 'Gooten refused the cancel without a reason we recognise.',
  unconfirmed: 'Gooten did not confirm the cancel of this item.'
}

/** Maps each planned item to its result; already-cancelled items need no further word from Gooten. */
export function resultsFor (plan: CancelPlan, forwarded: (item: PlannedItem) => ItemResult): ItemResult[] {
  return plan.items.map((item) => item.alreadyCancelled
    ? { itemId: item.itemId, result: 'already_cancelled', previousStatus: item.previousStatus }
    : forwarded(item))
}

/**
 * Matches Gooten's answer against what was asked. Only ids listed in `Success` count as
 * cancelled: an item missing from it is failed, whatever else the answer says.
 */
export function reconcile (plan: CancelPlan, reply: GootenCancelReply): { outcome: CancelOutcomeKind, items: ItemResult[] } {
  const succeeded = new Set(reply.succeeded)
  const items = resultsFor(plan, ({ itemId, previousStatus }) => succeeded.has(itemId)
    ? { itemId, result: 'cancelled', previousStatus }
    : { itemId, result: 'failed', previousStatus, reason: REFUSAL_TEXT[reply.refusals.get(itemId) ?? 'unconfirmed'] })
  const failed = items.filter((item) => item.result === 'failed').length
  if (failed === 0) return { outcome: 'cancelled', items }
  if (failed === plan.toForward.length) {
    throw new CancellationError('CANCEL_REJECTED', PROBLEMS.CANCEL_REJECTED.detail.all, items)
  }
  return { outcome: 'partially_cancelled', items }
}

/** The answer from the plan alone: for a dry run, or when every item was already cancelled. */
export function withoutForwarding (plan: CancelPlan): ItemResult[] {
  return resultsFor(plan, ({ itemId, previousStatus }) => ({ itemId, result: 'would_cancel', previousStatus }))
}
