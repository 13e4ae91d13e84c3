import type { GootenOrder } from '../gooten/types.js'
import { CancellationError } from './errors.js'
import { classifyStatus } from './status-policy.js'
import type { ItemResult } from './types.js'

export interface CancelPlan {
  /** Items still to cancel at Gooten, in request order. */
  toForward: number[]
  /** Every requested item with its status before the request. */
  previousStatus: Map<number, string>
}

const NOT_ATTEMPTED = 'Not forwarded: another requested item failed a pre-check.'

/**
 * All-or-nothing pre-checks: every requested item must be in the order and either cancellable
 * or already cancelled; otherwise nothing is forwarded.
 */
export function planCancellation (order: GootenOrder, requested: readonly number[]): CancelPlan {
  const statusById = new Map<number, string>()
  for (const item of order.items) {
    if (item.itemId !== null && !statusById.has(item.itemId)) statusById.set(item.itemId, item.status)
  }

  const missing = requested.filter((id) => !statusById.has(id))
  if (missing.length > 0) {
    const items = requested.map((itemId): ItemResult => missing.includes(itemId)
      ? { itemId, result: 'failed', previousStatus: null, reason: 'The order has no item with this id.' }
      : { itemId, result: 'not_attempted', previousStatus: statusById.get(itemId) ?? null, reason: NOT_ATTEMPTED })
    throw new CancellationError('ITEMS_NOT_IN_ORDER', `${missing.length} of the requested items are not in this order.`, items)
  }

  const previousStatus = new Map(requested.map((id) => [id, statusById.get(id) as string]))
  const blocked = requested.filter((id) => classifyStatus(previousStatus.get(id) as string) === 'not_cancellable')
  if (blocked.length > 0) {
    const items = requested.map((itemId): ItemResult => {
      const status = previousStatus.get(itemId) as string
      return blocked.includes(itemId)
        ? { itemId, result: 'failed', previousStatus: status, reason: `Status ${status} is past pre-production; Gooten no longer cancels this item.` }
        : { itemId, result: 'not_attempted', previousStatus: status, reason: NOT_ATTEMPTED }
    })
    throw new CancellationError('ITEMS_NOT_CANCELLABLE', `${blocked.length} of the requested items are no longer cancellable.`, items)
  }

  const toForward = requested.filter((id) => classifyStatus(previousStatus.get(id) as string) === 'cancellable')
  return { toForward, previousStatus }
}
