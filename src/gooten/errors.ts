import { PROBLEMS, secondsToWait, type ProblemCode } from '../problems/catalogue.js'
import { ProblemError } from '../problems/problem-error.js'

export type UpstreamOp = 'getOrder' | 'cancelItems'

/**
 * Why an upstream call failed, in our terms. Messages are our own words: they never
 * hold Gooten's text, a URL or a credential, so they are safe to log.
 */
export type GootenFailure =
  | 'not_found' // Gooten has no such order
  | 'bad_response' // HTML, invalid JSON, HadError, an unexpected status, a cancel reply we cannot read
  | 'order_unreadable' // Gooten served the order's document, but this service cannot use it: that order's problem
  | 'credentials_refused' // Gooten rejected our recipe id or billing key: a misconfiguration
  | 'unavailable' // 429 / 5xx from Gooten
  | 'connection_failed' // refused, reset, DNS, TLS
  | 'timeout' // the request's deadline or a per-call idle timeout passed
  | 'circuit_open' // we stopped calling Gooten for a while after repeated failures
  | 'overloaded' // too many upstream calls in flight already

/** Why Gooten's document for one order cannot be used. */
export type UnreadableReason =
  | 'item_without_status' // an item's Status is missing, null or not text
  | 'unknown_shape' // JSON, but not an order document in a shape we know
  | 'too_large' // the body is over the cap (transport.ts)

export interface GootenErrorDetails {
  status?: number
  /** Set with `order_unreadable`. */
  unreadable?: UnreadableReason
  /** Gooten's Retry-After, in milliseconds, when it sent one. */
  retryAfterMs?: number
  /** True only when the request provably never left this process (refused, connect timeout, shed). */
  neverSent?: boolean
  /** A low-level code (e.g. ECONNRESET) for logs; never a message or URL. */
  code?: string
}

const { ORDER_NOT_FOUND, ORDER_UNREADABLE, UPSTREAM_BAD_RESPONSE, UPSTREAM_UNAVAILABLE, UPSTREAM_TIMEOUT } = PROBLEMS

/** The problem each failure is answered with, in our words: Gooten's own text never leaves the adapter. */
const ANSWERS: Record<GootenFailure, { code: ProblemCode, detail: string }> = {
  not_found: { code: 'ORDER_NOT_FOUND', detail: ORDER_NOT_FOUND.detail.order },
  bad_response: { code: 'UPSTREAM_BAD_RESPONSE', detail: UPSTREAM_BAD_RESPONSE.detail.unreadable },
  order_unreadable: { code: 'ORDER_UNREADABLE', detail: ORDER_UNREADABLE.detail.document('unknown_shape') },
  credentials_refused: { code: 'UPSTREAM_BAD_RESPONSE', detail: UPSTREAM_BAD_RESPONSE.detail.credentialsRefused },
  unavailable: { code: 'UPSTREAM_UNAVAILABLE', detail: UPSTREAM_UNAVAILABLE.detail.failing },
  connection_failed: { code: 'UPSTREAM_UNAVAILABLE', detail: UPSTREAM_UNAVAILABLE.detail.unreachable },
  circuit_open: { code: 'UPSTREAM_UNAVAILABLE', detail: UPSTREAM_UNAVAILABLE.detail.paused },
  overloaded: { code: 'UPSTREAM_UNAVAILABLE', detail: UPSTREAM_UNAVAILABLE.detail.saturated },
  timeout: { code: 'UPSTREAM_TIMEOUT', detail: UPSTREAM_TIMEOUT.detail.deadline }
}

export class GootenError extends ProblemError {
  override name = 'GootenError'

  constructor (
    readonly failure: GootenFailure,
    readonly op: UpstreamOp,
    message: string,
    readonly details: GootenErrorDetails = {}
  ) {
    const { code } = ANSWERS[failure]
    const detail = details.unreadable === undefined ? ANSWERS[failure].detail : ORDER_UNREADABLE.detail.document(details.unreadable)
    // Gooten's own Retry-After, when it sent one, is passed on to a caller told to wait and retry.
    const waitsFor = code === 'UPSTREAM_UNAVAILABLE' && details.retryAfterMs !== undefined ? { retryAfterSeconds: secondsToWait(details.retryAfterMs) } : {}
    super(code, detail, waitsFor, message)
  }

  /** The call may have changed state at Gooten, so its effect must be checked, not assumed. */
  get mayHaveReachedGooten (): boolean {
    if (this.details.neverSent === true) return false
    return this.failure !== 'circuit_open' && this.failure !== 'overloaded'
  }
}
