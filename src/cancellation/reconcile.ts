import type { GootenCancelReply, RefusalReason } from '../gooten/types.js'
import { CancellationError } from './errors.js'
import type { CancelPlan } from './plan.js'
import type { CancelOutcomeKind, ItemResult } from './types.js'

const REFUSAL_TEXT: Record<RefusalReason | 'unconfirmed', string> = {
  not_cancellable_status: 'Gooten refused: the item is no longer in a pre-production status.',
  not_in_order: 'Gooten refused: it does not know this item in the order.',
  unrecognised: 'Gooten refused the cancel without a reason we recognise.',
  unconfirmed: 'Gooten did not confirm the cancel of this item.'
}

/** Results for the items that were already cancelled and so never forwarded. */
function alreadyCancelled (plan: CancelPlan, requested: readonly number[]): Map<number, ItemResult> {
  const forwarded = new Set(plan.toForward)
  return new Map(requested
    .filter((itemId) => !forwarded.has(itemId))
    .map((itemId) => [itemId, { itemId, result: 'already_cancelled', previousStatus: plan.previousStatus.get(itemId) ?? null }]))
}

/**
 * Matches Gooten's answer against what was asked. Only ids listed in `Success` count as
 * cancelled: an item missing from it is failed, whatever else the answer says.
 */
export function reconcile (
  plan: CancelPlan,
  requested: readonly number[],
  reply: GootenCancelReply
): { outcome: CancelOutcomeKind, items: ItemResult[] } {
  const succeeded = new Set(reply.succeeded)
  const results = alreadyCancelled(plan, requested)
  for (const itemId of plan.toForward) {
    const previousStatus = plan.previousStatus.get(itemId) ?? null
    results.set(itemId, succeeded.has(itemId)
      ? { itemId, result: 'cancelled', previousStatus }
      : { itemId, result: 'failed', previousStatus, reason: REFUSAL_TEXT[reply.refusals.get(itemId) ?? 'unconfirmed'] })
  }
  const items = requested.map((itemId) => results.get(itemId) as ItemResult)
  const failed = items.filter((item) => item.result === 'failed').length
  if (failed === 0) return { outcome: 'cancelled', items }
  if (failed === plan.toForward.length) {
    throw new CancellationError('CANCEL_REJECTED', 'Gooten refused to cancel every item that was forwarded.', items)
  }
  return { outcome: 'partially_cancelled', items }
}

/** The answer from the plan alone: for a dry run, or when every item was already cancelled. */
export function withoutForwarding (plan: CancelPlan, requested: readonly number[]): ItemResult[] {
  const results = alreadyCancelled(plan, requested)
  return requested.map((itemId) => results.get(itemId) ?? {
    itemId,
    result: 'would_cancel',
    previousStatus: plan.previousStatus.get(itemId) ?? null
  })
}
