import type { GootenOrder } from '../gooten/types.js'
import { CancellationError } from './errors.js'
import { classifyStatus, normaliseStatus } from './status-policy.js'
import type { ItemResult } from './types.js'
import { PROBLEMS } from '../problems/catalogue.js'

export interface PlannedItem {
  itemId: number
  /** Gooten's status before this request. */
  previousStatus: string
  /** Already cancelled: reported, never forwarded. */
  alreadyCancelled: boolean
}

export interface CancelPlan {
  /** Every requested item, in request order. */
  items: PlannedItem[]
  /** Items still to cancel at Gooten, in request order. */
  toForward: number[]
}

/** The reason given to the items a pre-check let through when another item failed it. */
export const NOT_ATTEMPTED = 'Not forwarded: another requested item failed a pre-check.'
/** The reason a pre-check gives an item the order does not list (item-refusal.ts tells it apart by this text). */
export const NOT_IN_ORDER = 'The order has no item with this id.'

/** The reason a pre-check gives an item past pre-production (item-refusal.ts tells it apart by this text). */
export const pastPreProductionReason = (status: string): string =>
  `Status ${status} is past pre-production; Gooten no longer cancels this item.`

/**
 * Each item id's status, or null when Gooten's document lists the id more than once with
 * different statuses: such a document cannot say whether the item may be cancelled, and a guess
 * (the first listing, say) could cancel an item already in production.
 */
export function statusesById (order: GootenOrder): Map<number, string | null> {
  const statusById = new Map<number, string | null>()
  for (const item of order.items) {
    if (item.itemId === null) continue
    const seen = statusById.get(item.itemId)
    if (seen === undefined) statusById.set(item.itemId, item.status)
    else if (seen !== null && normaliseStatus(seen) !== normaliseStatus(item.status)) statusById.set(item.itemId, null)
  }
  return statusById
}

/** The reason a pre-check gives an item Gooten's order lists twice with different statuses (item-refusal.ts tells it apart by this text). */
export const AMBIGUOUS_LISTING_REASON = 'Gooten\'s order lists this item more than once, with different statuses; it cannot be checked, so nothing was forwarded.'

/**
 * All-or-nothing pre-checks: every requested item must be in the order and either cancellable
 * or already cancelled; otherwise nothing is forwarded.
 */
export function planCancellation (order: GootenOrder, requested: readonly number[]): CancelPlan {
  const statusById = statusesById(order)
  const found = requested.map((itemId) => ({ itemId, previousStatus: statusById.get(itemId) }))

  if (found.some((item) => item.previousStatus === undefined)) {
    const items = found.map(({ itemId, previousStatus }): ItemResult => previousStatus === undefined
      ? { itemId, result: 'failed', previousStatus: null, reason: NOT_IN_ORDER }
      : { itemId, result: 'not_attempted', previousStatus, reason: NOT_ATTEMPTED })
    const missing = items.filter((item) => item.result === 'failed').length
    throw new CancellationError('ITEMS_NOT_IN_ORDER', PROBLEMS.ITEMS_NOT_IN_ORDER.detail.some(missing), items)
  }

  const classified = found.map(({ itemId, previousStatus }) => {
    const status = previousStatus as string | null
    return { itemId, previousStatus: status, class: status === null ? 'ambiguous' : classifyStatus(status) }
  })
  if (classified.some((item) => item.class === 'not_cancellable' || item.class === 'ambiguous')) {
    const items = classified.map(({ itemId, previousStatus, class: statusClass }): ItemResult => {
      if (statusClass === 'ambiguous') return { itemId, result: 'failed', previousStatus, reason: AMBIGUOUS_LISTING_REASON }
      return statusClass === 'not_cancellable'
        ? { itemId, result: 'failed', previousStatus, reason: pastPreProductionReason(previousStatus as string) }
        : { itemId, result: 'not_attempted', previousStatus, reason: NOT_ATTEMPTED }
    })
    const blocked = items.filter((item) => item.result === 'failed').length
    const ambiguous = classified.filter((item) => item.class === 'ambiguous').length
    const { detail } = PROBLEMS.ITEMS_NOT_CANCELLABLE
    throw new CancellationError('ITEMS_NOT_CANCELLABLE', ambiguous === 0 ? detail.some(blocked) : detail.listedTwice(blocked, ambiguous), items)
  }

  const items = classified.map(({ itemId, previousStatus, class: statusClass }) => ({
    itemId,
    previousStatus: previousStatus as string,
    alreadyCancelled: statusClass === 'cancelled'
  }))
  return { items, toForward: items.filter((item) => !item.alreadyCancelled).map((item) => item.itemId) }
}
