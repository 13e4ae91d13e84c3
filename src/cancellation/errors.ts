import type { GootenError } from '../gooten/errors.js'
import { OUTCOME_UNKNOWN_DETAIL, PROBLEMS } from '../problems/catalogue.js'
import { ProblemError } from '../problems/problem-error.js'
import type { ItemResult } from './types.js'

export type CancellationErrorCode =
  | 'ORDER_NOT_FOUND'
  | 'ITEMS_NOT_IN_ORDER'
  | 'ITEMS_NOT_CANCELLABLE'
  | 'CANCEL_REJECTED'

/** A cancel that cannot go ahead, or whose result is not a success; carries the per-item picture. */
export class CancellationError extends ProblemError {
  override name = 'CancellationError'

  constructor (
    override readonly code: CancellationErrorCode,
    detail: string,
    readonly items: ItemResult[] = []
  ) {
    super(code, detail, items.length > 0 ? { body: { items } } : {})
  }
}

/** The cancel call failed midway and Gooten does not yet show every item cancelled; the upstream failure decides the code. */
export class OutcomeUnknownError extends ProblemError {
  override name = 'OutcomeUnknownError'

  constructor (
    /** Each item as the follow-up lookup shows it: cancelled or unknown. */
    readonly items: ItemResult[],
    /** The upstream failure that left the outcome open. */
    readonly failure: GootenError
  ) {
    super(failure.code, OUTCOME_UNKNOWN_DETAIL, { ...failure.extras, body: { outcomeKnown: false, items } })
  }
}

/** Another cancel of the same order held its lock until this request's deadline passed. */
export class OrderBusyError extends ProblemError {
  override name = 'OrderBusyError'

  constructor () {
    super('ORDER_BUSY', PROBLEMS.ORDER_BUSY.detail.busy, {}, 'another cancel of this order was still running when the request deadline passed')
  }
}

/** Gooten's order document cannot address a cancel: it names no GootenId, or another one than before. */
export class UnaddressableOrderError extends ProblemError {
  override name = 'UnaddressableOrderError'

  constructor (message: string) {
    super('UPSTREAM_BAD_RESPONSE', PROBLEMS.UPSTREAM_BAD_RESPONSE.detail.unaddressable, {}, message)
  }
}

/** The per-item picture an error carries: a failed pre-check, Gooten's refusal, an unconfirmed cancel. */
export function itemResultsOf (error: unknown): ItemResult[] | undefined {
  return error instanceof CancellationError || error instanceof OutcomeUnknownError ? error.items : undefined
}
