import type { GootenError } from '../gooten/errors.js'
import type { ItemResult } from './types.js'

export type CancellationErrorCode =
  | 'ORDER_NOT_FOUND'
  | 'ITEMS_NOT_IN_ORDER'
  | 'ITEMS_NOT_CANCELLABLE'
  | 'CANCEL_REJECTED'

/** A cancel that cannot go ahead, or whose result is not a success; carries the per-item picture. */
export class CancellationError extends Error {
  override name = 'CancellationError'

  constructor (
    readonly code: CancellationErrorCode,
    message: string,
    readonly items: ItemResult[] = []
  ) {
    super(message)
  }
}

/** The cancel call failed midway and Gooten does not yet show every item cancelled. */
export class OutcomeUnknownError extends Error {
  override name = 'OutcomeUnknownError'

  constructor (
    /** Each item as the follow-up lookup shows it: cancelled or unknown. */
    readonly items: ItemResult[],
    /** The upstream failure that left the outcome open; it decides the HTTP status. */
    readonly failure: GootenError
  ) {
    super('The cancel call failed and Gooten does not yet show every item cancelled.')
  }
}

/** Another cancel of the same order held its lock until this request's deadline passed. */
export class OrderBusyError extends Error {
  override name = 'OrderBusyError'

  constructor () {
    super('another cancel of this order was still running when the request deadline passed')
  }
}

/** Gooten's order document cannot address a cancel: it names no GootenId, or another one than before. */
export class UnaddressableOrderError extends Error {
  override name = 'UnaddressableOrderError'
}

/** The per-item picture an error carries: a failed pre-check, Gooten's refusal, an unconfirmed cancel. */
export function itemResultsOf (error: unknown): ItemResult[] | undefined {
  return error instanceof CancellationError || error instanceof OutcomeUnknownError ? error.items : undefined
}
