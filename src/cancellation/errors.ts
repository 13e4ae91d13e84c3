import type { GootenError } from '../gooten/errors.js'
import { OUTCOME_UNKNOWN_DETAIL, PROBLEMS, secondsToWait } from '../problems/catalogue.js'
import { ProblemError } from '../problems/problem-error.js'
import type { ItemResult } from './types.js'

const IN_DOUBT_RETRY_CAP_S = 30

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

/**
 * An item this request would forward has a cancel sent earlier whose outcome is still unknown:
 * Gooten may apply it yet, so a second one is not sent.
 */
export class CancelInDoubtError extends ProblemError {
  override name = 'CancelInDoubtError'

  constructor (
    /** Each requested item: unknown for those in doubt, not_attempted or already_cancelled for the rest. */
    readonly items: ItemResult[],
    /** Until the first of those marks ends. */
    readonly retryAfterMs: number
  ) {
    super('CANCEL_IN_DOUBT', PROBLEMS.CANCEL_IN_DOUBT.detail.earlierCancel, {
      // Gooten may show the earlier cancel sooner than the mark ends: callers look again at least this often.
      retryAfterSeconds: Math.min(IN_DOUBT_RETRY_CAP_S, secondsToWait(retryAfterMs)),
      body: { items }
    }, 'A cancel of some of these items was sent earlier and its outcome is still unknown; nothing was forwarded.')
  }
}

/** The per-item picture an error carries: a failed pre-check, Gooten's refusal, an unconfirmed cancel. */
export function itemResultsOf (error: unknown): ItemResult[] | undefined {
  return error instanceof CancellationError || error instanceof OutcomeUnknownError ? error.items : undefined
}
