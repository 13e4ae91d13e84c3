import type { ProblemCode } from './catalogue.js'

export interface ProblemExtras {
  /** Overrides the code's own Retry-After (the catalogue's). */
  retryAfterSeconds?: number
  headers?: Record<string, string>
  /** Members added to the problem document: `errors`, `items`, `outcomeKnown`. */
  body?: Record<string, unknown>
}

/**
 * An error that knows the problem it is answered with. Every error this service throws on purpose
 * is one (the domain's included), so turning an error into an answer is a lookup by `code`.
 * `message` is for logs; `detail` is what the caller reads.
 */
export class ProblemError extends Error {
  override name = 'ProblemError'

  constructor (
    readonly code: ProblemCode,
    readonly detail: string,
    readonly extras: ProblemExtras = {},
    message: string = detail
  ) {
    super(message)
  }
}
