import type { GootenOrder } from '../gooten/types.js'
import { CancellationError } from './errors.js'
import { classifyStatus } from './status-policy.js'
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

const NOT_ATTEMPTED = 'Not forwarded: another requested item failed a pre-check.'

/** The reason a pre-check gives an item past pre-production (item-refusal.ts tells it apart by this text). */
export const pastPreProductionReason = (status: string): string =>
  `Status ${status} is past pre-production; Gooten no longer cancels this item.`

/**
 * All-or-nothing pre-checks: every requested item must be in the order and either cancellable
 * or already cancelled; otherwise nothing is forwarded.
 */
export function planCancellation (order: GootenOrder, requested: readonly number[]): CancelPlan {
  const statusById = new Map<number, string>()
  for (const item of order.items) {
    if (item.itemId !== null && !statusById.has(item.itemId)) statusById.set(item.itemId, item.status)
  }
  const found = requested.map((itemId) => ({ itemId, previousStatus: statusById.get(itemId) }))

  if (found.some((item) => item.previousStatus === undefined)) {
    const items = found.map(({ itemId, previousStatus }): ItemResult => previousStatus === undefined
      ? { itemId, result: 'failed', previousStatus: null, reason: 'The order has no item with this id.' }
      : { itemId, result: 'not_attempted', previousStatus, reason: NOT_ATTEMPTED })
    const missing = items.filter((item) => item.result === 'failed').length
    throw new CancellationError('ITEMS_NOT_IN_ORDER', PROBLEMS.ITEMS_NOT_IN_ORDER.detail.some(missing), items)
  }

  const classified = found.map(({ itemId, previousStatus }) => {
    const status = previousStatus as string
    return { itemId, previousStatus: status, class: classifyStatus(status) }
  })
  if (classified.some((item) => item.class === 'not_cancellable')) {
    const items = classified.map(({ itemId, previousStatus, class: statusClass }): ItemResult => statusClass === 'not_cancellable'
      ? { itemId, result: 'failed', previousStatus, reason: pastPreProductionReason(previousStatus) }
      : { itemId, result: 'not_attempted', previousStatus, reason: NOT_ATTEMPTED })
    const blocked = items.filter((item) => item.result === 'failed').length
    throw new CancellationError('ITEMS_NOT_CANCELLABLE', PROBLEMS.ITEMS_NOT_CANCELLABLE.detail.some(blocked), items)
  }

  const items = classified.map(({ itemId, previousStatus, class: statusClass }) => ({
    itemId,
    previousStatus,
    alreadyCancelled: statusClass === 'cancelled'
  }))
  return { items, toForward: items.filter((item) => !item.alreadyCancelled).map((item) => item.itemId) }
}
