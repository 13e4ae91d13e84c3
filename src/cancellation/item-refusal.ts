import { pastPreProductionReason } from './plan.js'
import { REFUSAL_TEXT } from './reconcile.js'
import type { ItemResult } from './types.js'

/** Why an item was answered `failed`, in a word a metric label can hold. */
export type ItemRefusal = 'not_in_order' | 'past_pre_production' | 'refused_by_gooten' | 'unknown'

// Gooten's refusals whose reason we recognise; a forwarded item it refused otherwise, or did not
// confirm, is 'unknown'.
const RECOGNISED = new Set([REFUSAL_TEXT.not_cancellable_status, REFUSAL_TEXT.not_cancellable_now, REFUSAL_TEXT.not_in_order])

/** Classifies a failed item: our pre-checks (not in the order, past pre-production), or Gooten's refusal. */
export function refusalOf (item: ItemResult): ItemRefusal {
  // Only the not-in-order pre-check answers an item without a status.
  if (item.previousStatus === null) return 'not_in_order'
  if (item.reason === pastPreProductionReason(item.previousStatus)) return 'past_pre_production'
  // A failed item always carries a reason.
  return RECOGNISED.has(item.reason as string) ? 'refused_by_gooten' : 'unknown'
}
