/** A Gooten order as this service needs it, whatever shape Gooten sent. */
export interface GootenOrder {
  /** Gooten's Safe Order ID (`Id`), when the document carries one. */
  safeId: string | null
  /** The numeric GootenId that edit calls need; null in older document shapes. */
  gootenId: number | null
  items: GootenOrderItem[]
}

export interface GootenOrderItem {
  /** OrderItemId; null when Gooten's document names none for this item. */
  itemId: number | null
  sku: string | null
  quantity: number | null
  /** Gooten's status string, exactly as sent. */
  status: string
}

export type RefusalReason = 'not_cancellable_status' | 'not_cancellable_now' | 'not_in_order' | 'unrecognised'

/** Gooten's answer to a cancel call. */
export interface GootenCancelReply {
  succeeded: number[]
  /** Refusals Gooten attributed to one item id. */
  refusals: Map<number, RefusalReason>
}
