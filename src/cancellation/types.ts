export type ItemResultKind =
  | 'cancelled'
  | 'already_cancelled'
  | 'failed'
  | 'would_cancel'
  | 'not_attempted' // a pre-check failed for another item, so nothing was forwarded
  | 'unknown' // the cancel call's effect could not be confirmed

export interface ItemResult {
  itemId: number
  result: ItemResultKind
  /** Gooten's status before this request, as Gooten spells it; null when the item is not in the order. */
  previousStatus: string | null
  /** Why, in our words, for failed, not_attempted and unknown items. */
  reason?: string
}

export type CancelOutcomeKind = 'cancelled' | 'partially_cancelled' | 'dry_run'

export interface CancelRequest {
  orderId: string
  itemIds: readonly number[]
  dryRun: boolean
}

export interface CancelOutcome {
  orderId: string
  gootenOrderId: number
  outcome: CancelOutcomeKind
  items: ItemResult[]
}

export interface OrderItemView {
  itemId: number | null
  sku: string | null
  quantity: number | null
  status: string
  cancellable: boolean
}

export interface OrderView {
  orderId: string
  gootenOrderId: number | null
  items: OrderItemView[]
}
