import type { ItemResult } from './types.js'

export type CancellationErrorCode =
  | 'ORDER_NOT_FOUND'
  | 'ITEMS_NOT_IN_ORDER'
  | 'ITEMS_NOT_CANCELLABLE'
  | 'CANCEL_REJECTED'
  | 'OUTCOME_UNKNOWN'

/** A cancel that cannot go ahead, or whose result is not a success; carries the per-item picture. */
export class CancellationError extends Error {
  override name = 'CancellationError'

  constructor (
    readonly code: CancellationErrorCode,
    message: string,
    readonly items: ItemResult[] = [],
    /** For OUTCOME_UNKNOWN: the upstream failure that left the outcome open. */
    override readonly cause?: unknown
  ) {
    super(message)
  }
}
