/** Every problem this service answers, with its status and our own title (docs/api.md, Errors). */
export const PROBLEMS = {
  VALIDATION_FAILED: { status: 400, title: 'The request is not valid' },
  UNAUTHORIZED: { status: 401, title: 'A valid caller key or access token is required' },
  FORBIDDEN: { status: 403, title: 'This caller may not do this' },
  NOT_FOUND: { status: 404, title: 'No such route' },
  ORDER_NOT_FOUND: { status: 404, title: 'Order not found' },
  ITEMS_NOT_CANCELLABLE: { status: 409, title: 'Items are no longer cancellable' },
  IDEMPOTENCY_KEY_IN_USE: { status: 409, title: 'A request with this Idempotency-Key is still being processed' },
  ORDER_BUSY: { status: 409, title: 'Another cancel of this order is still running' },
  CANCEL_IN_DOUBT: { status: 409, title: 'An earlier cancel of these items has an unknown outcome' },
  PAYLOAD_TOO_LARGE: { status: 413, title: 'The request body is too large' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'The request body must be application/json' },
  EXPECTATION_FAILED: { status: 417, title: 'The Expect header asks for something this service does not do' },
  ITEMS_NOT_IN_ORDER: { status: 422, title: 'Items are not in this order' },
  IDEMPOTENCY_KEY_REUSED: { status: 422, title: 'This Idempotency-Key was used for a different request' },
  CANCEL_REJECTED: { status: 422, title: 'Gooten refused to cancel the items' },
  RATE_LIMITED: { status: 429, title: 'Too many requests' },
  INTERNAL_ERROR: { status: 500, title: 'Internal error' },
  UPSTREAM_BAD_RESPONSE: { status: 502, title: 'Gooten answered something we cannot trust' },
  ORDER_UNREADABLE: { status: 502, title: 'Gooten\'s document for this order cannot be used' },
  UPSTREAM_UNAVAILABLE: { status: 503, title: 'Gooten is unavailable' },
  STORE_UNAVAILABLE: { status: 503, title: 'The shared store is unavailable' },
  IDENTITY_PROVIDER_UNAVAILABLE: { status: 503, title: 'The identity provider\'s keys are not available' },
  NOT_READY: { status: 503, title: 'The service is not ready' },
  SERVICE_OVERLOADED: { status: 503, title: 'The service is overloaded' },
  UPSTREAM_TIMEOUT: { status: 504, title: 'Gooten did not answer in time' }
} as const

export type ProblemCode = keyof typeof PROBLEMS

/** An error that is already a problem answer: thrown by our own hooks and plugins. */
export class ProblemError extends Error {
  override name = 'ProblemError'

  constructor (
    readonly code: ProblemCode,
    readonly detail: string,
    readonly extras: { retryAfterSeconds?: number, headers?: Record<string, string>, body?: Record<string, unknown> } = {}
  ) {
    super(detail)
  }
}

export function problemType (code: ProblemCode): string {
  return `urn:problem:gooten-order-proxy:${code.toLowerCase().replaceAll('_', '-')}`
}

/** The RFC 9457 body every problem answer carries; `status` differs from the code's only for Node's own refusals. */
export function problemDocument (
  code: ProblemCode,
  detail: string,
  requestId: string,
  extras: { status?: number, body?: Record<string, unknown> | undefined }
): Record<string, unknown> {
  const { status, title } = PROBLEMS[code]
  return { type: problemType(code), title, status: extras.status ?? status, detail, code, requestId, ...extras.body }
}
