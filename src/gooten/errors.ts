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

export class GootenError extends Error {
  override name = 'GootenError'

  constructor (
    readonly failure: GootenFailure,
    readonly op: UpstreamOp,
    message: string,
    readonly details: GootenErrorDetails = {}
  ) {
    super(message)
  }

  /** The call may have changed state at Gooten, so its effect must be checked, not assumed. */
  get mayHaveReachedGooten (): boolean {
    if (this.details.neverSent === true) return false
    return this.failure !== 'circuit_open' && this.failure !== 'overloaded'
  }
}
