/**
 * Every problem this service answers, defined once: its status, title, the details it is answered
 * with, what the caller should do about it, and how long to wait before a retry where waiting helps.
 * Throw sites take their detail from here, the error handler its status and title, and the OpenAPI
 * document its descriptions and examples.
 */

/** Limits the service enforces on a request, named in the answers that refuse it. */
export const LIMITS = {
  /** Largest request body read, in bytes. */
  bodyBytes: 16 * 1024,
  /** Most items one cancel may name. */
  itemIds: 100,
  /** Longest `reason` a cancel may carry, in characters. */
  reasonChars: 500,
  /** Largest body of Gooten's this service reads, in bytes: a 5,000-item order is about 3.5 MB. */
  gootenBodyBytes: 6 * 1024 * 1024
} as const

const BODY_LIMIT = `${LIMITS.bodyBytes / 1024} KiB`

/** Whole seconds to wait for a wait given in milliseconds: at least 1, as Retry-After cannot say less. */
export const secondsToWait = (ms: number): number => Math.max(1, Math.ceil(ms / 1000))

interface ProblemEntry {
  status: number
  title: string
  /** What the caller should do next: retry (when), change the request, or escalate. */
  action: string
  /** Retry-After, in seconds, sent with every answer of this code unless the thrower knows better. */
  retryAfterSeconds?: number
  /** The details this code is answered with, by name; functions for those that count or quote. */
  detail: Record<string, string | ((...values: never[]) => string)>
}

/** Why Gooten's document for an order cannot be used, by the adapter's reason. */
const UNUSABLE_DOCUMENT = {
  item_without_status: 'has an item without a status, so its items cannot be checked',
  unknown_shape: 'is not in a shape this service knows',
  too_large: `is over ${LIMITS.gootenBodyBytes / 1024 / 1024} MiB, the most this service reads`
} as const

const LOOK_UP_FIRST = 'When the answer says `"outcomeKnown": false`, the cancel may have happened: list the order\'s items before sending it again.'

export const PROBLEMS = {
  VALIDATION_FAILED: {
    status: 400,
    title: 'The request is not valid',
    action: 'Fix the request as `errors` says and send it again; sent unchanged it fails the same way. Nothing was forwarded to Gooten.',
    detail: {
      schema: 'The request does not match the schema; see errors.',
      emptyBody: 'The JSON body is empty.',
      invalidJson: 'The body is not valid JSON.',
      unreadable: 'The request could not be read.',
      // Refusals of Node's HTTP parser, answered with its own status (400, 408 or 431).
      notHttp: 'The request is not valid HTTP.',
      tooSlow: 'The request was not received in time.',
      headersTooLarge: 'The request headers are too large.',
      credentialAsOrderId: 'The order id holds a credential; send a Gooten order id.'
    }
  },
  UNAUTHORIZED: {
    status: 401,
    title: 'A valid caller key or access token is required',
    action: 'Send a caller key or an access token as `Authorization: Bearer <key or token>`. If it was refused, get a new token or ask the service\'s operators for a valid key; do not retry unchanged.',
    detail: {
      missing: 'Send Authorization: Bearer <caller key or access token>.',
      notBearer: 'The Authorization header must use the Bearer scheme.',
      invalid: 'The caller key or access token is not valid (unknown, expired, not yet valid, or not issued for this service).'
    }
  },
  FORBIDDEN: {
    status: 403,
    title: 'This caller may not do this',
    action: 'The caller lacks the scope this request needs: use a key or token with `orders:cancel`, or send `?dryRun=true` to see what a cancel would do. Do not retry unchanged.',
    detail: {
      readOnly: 'This caller may list items and dry-run cancels only; a cancel needs the orders:cancel scope.',
      cannotRead: 'This caller may not read orders; it needs the orders:read scope.',
      fromWebPage: 'Requests from web pages (with an Origin header) are not accepted on /mcp.'
    }
  },
  NOT_FOUND: {
    status: 404,
    title: 'No such route',
    action: 'Check the method and path against this document.',
    detail: { route: 'No route matches this method and path.' }
  },
  ORDER_NOT_FOUND: {
    status: 404,
    title: 'Order not found',
    action: 'Check the order id: a Safe Order ID as order submit returned it (case matters) or the numeric GootenId. Do not retry unchanged.',
    detail: { order: 'Gooten has no order with this id.' }
  },
  ITEMS_NOT_CANCELLABLE: {
    status: 409,
    title: 'Items are no longer cancellable',
    action: 'Nothing was cancelled. The items marked `failed` are past pre-production: resend without them, and take those to Gooten support if they must still be stopped. Retrying unchanged fails the same way.',
    detail: {
      some: (count: number) => `${count} of the requested items are no longer cancellable.`,
      listedTwice: (count: number, ambiguous: number) => `${count} of the requested items cannot be cancelled; Gooten's order lists ${ambiguous} of them more than once with different statuses.`
    }
  },
  IDEMPOTENCY_KEY_IN_USE: {
    status: 409,
    title: 'A request with this Idempotency-Key is still being processed',
    action: 'Retry with the same Idempotency-Key after Retry-After: once the first request ends, the retry gets its answer.',
    retryAfterSeconds: 1,
    detail: { inUse: 'A request with this Idempotency-Key is still being processed; retry shortly.' }
  },
  ORDER_BUSY: {
    status: 409,
    title: 'Another cancel of this order is still running',
    action: 'Nothing was forwarded. Retry after Retry-After, with the same Idempotency-Key; the retry plans from the statuses the other cancel left.',
    retryAfterSeconds: 1,
    detail: { busy: 'Another cancel of this order was still running when this request\'s time ran out; nothing was forwarded. Retry shortly.' }
  },
  CANCEL_IN_DOUBT: {
    status: 409,
    title: 'An earlier cancel of these items has an unknown outcome',
    action: 'Nothing was forwarded. Retry after Retry-After, with the same Idempotency-Key: once Gooten shows the items cancelled they are reported `already_cancelled`, and once it can no longer apply the earlier cancel they are forwarded again.',
    detail: {
      earlierCancel: 'An earlier cancel of some of these items timed out or broke off, and Gooten may still apply it; nothing was forwarded. ' +
        'Retry after Retry-After: once Gooten shows the items cancelled they are reported already_cancelled, and once it can no longer apply that cancel they are forwarded again.'
    }
  },
  PAYLOAD_TOO_LARGE: {
    status: 413,
    title: 'The request body is too large',
    action: `Send at most ${BODY_LIMIT} of JSON (at most ${LIMITS.itemIds} items per cancel); split a larger cancel.`,
    detail: { body: `The request body is over ${BODY_LIMIT}.` }
  },
  UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    title: 'The request body must be application/json',
    action: 'Send the body uncompressed, with Content-Type: application/json.',
    detail: {
      notJson: 'Send the body as application/json.',
      encoded: 'Send the body uncompressed: no Content-Encoding is accepted.'
    }
  },
  EXPECTATION_FAILED: {
    status: 417,
    title: 'The Expect header asks for something this service does not do',
    action: 'Send no Expect header, or `Expect: 100-continue`.',
    detail: { unsupported: 'Only Expect: 100-continue is supported.' }
  },
  ITEMS_NOT_IN_ORDER: {
    status: 422,
    title: 'Items are not in this order',
    action: 'Nothing was cancelled. List the order\'s items and resend with ids from that order; the ids marked `failed` are not in it.',
    detail: { some: (count: number) => `${count} of the requested items are not in this order.` }
  },
  IDEMPOTENCY_KEY_REUSED: {
    status: 422,
    title: 'This Idempotency-Key was used for a different request',
    action: 'Use a new Idempotency-Key: a key belongs to one order, one set of items and one dryRun value.',
    detail: { reused: 'This Idempotency-Key was already used with a different order, items or dry run.' }
  },
  CANCEL_REJECTED: {
    status: 422,
    title: 'Gooten refused to cancel the items',
    action: 'Nothing was cancelled; each item\'s reason says why. Where it says a later request may succeed, retry later; otherwise take the order to Gooten support.',
    detail: { all: 'Gooten refused to cancel every item that was forwarded.' }
  },
  RATE_LIMITED: {
    status: 429,
    title: 'Too many requests',
    action: 'Wait Retry-After seconds, then retry; spread requests out (the RateLimit-* headers say how many are left).',
    detail: { over: (max: number, after: string) => `Over ${max} requests per minute; retry in ${after}.` }
  },
  INTERNAL_ERROR: {
    status: 500,
    title: 'Internal error',
    action: 'A fault in this service, logged with the request id. List the order\'s items before retrying a cancel; if it persists, report the requestId to the service\'s operators.',
    detail: { unexpected: 'Something went wrong on our side.' }
  },
  UPSTREAM_BAD_RESPONSE: {
    status: 502,
    title: 'Gooten answered something we cannot trust',
    action: `${LOOK_UP_FIRST} Retrying rarely helps: if it persists, report the requestId to the service's operators.`,
    detail: {
      unreadable: 'Gooten answered something this service could not read; nothing more is known.',
      credentialsRefused: 'Gooten refused this service\'s credentials; operators have been alerted.',
      unaddressable: 'Gooten\'s order document does not say which order a cancel would address; nothing was forwarded.'
    }
  },
  ORDER_UNREADABLE: {
    status: 502,
    title: 'Gooten\'s document for this order cannot be used',
    action: 'Nothing was forwarded, and asking again will not help until Gooten\'s document for this order changes: take the order to Gooten support. Other orders are not affected.',
    detail: {
      document: (why: keyof typeof UNUSABLE_DOCUMENT) => `Gooten's document for this order ${UNUSABLE_DOCUMENT[why]}; nothing was forwarded. Other orders are not affected; asking again will not help until Gooten's document changes.`
    }
  },
  UPSTREAM_UNAVAILABLE: {
    status: 503,
    title: 'Gooten is unavailable',
    action: `Retry after Retry-After, with the same Idempotency-Key. ${LOOK_UP_FIRST}`,
    retryAfterSeconds: 1,
    detail: {
      failing: 'Gooten kept failing; try again later.',
      unreachable: 'Gooten could not be reached; try again later.',
      paused: 'Gooten has been failing; calls are paused for a short while.',
      saturated: 'Too many calls to Gooten are in flight; try again shortly.'
    }
  },
  STORE_UNAVAILABLE: {
    status: 503,
    title: 'The shared store is unavailable',
    action: 'Nothing was cancelled. Retry after Retry-After, with the same Idempotency-Key.',
    retryAfterSeconds: 1,
    detail: {
      down: 'The shared store is unavailable; nothing was cancelled. Retry shortly.',
      lockDelay: (seconds: number) => `The shared store lost its state; nothing was cancelled. Cancels resume in ${seconds} s, once no cancel sent before the loss can still reach Gooten. Reads keep working.`
    }
  },
  IDENTITY_PROVIDER_UNAVAILABLE: {
    status: 503,
    title: 'The identity provider\'s keys are not available',
    action: 'The token may be good: retry after Retry-After. If it persists, tell the service\'s operators.',
    retryAfterSeconds: 5,
    detail: { keysUnavailable: 'The identity provider\'s keys are not available yet; retry shortly.' }
  },
  NOT_READY: {
    status: 503,
    title: 'The service is not ready',
    action: 'Retry after Retry-After; another replica may answer meanwhile.',
    retryAfterSeconds: 1,
    detail: {
      shuttingDown: 'The service is shutting down; retry on another replica.',
      state: (state: string) => `The service is ${state}.`,
      waitingForKeys: 'Waiting for the identity provider\'s keys.',
      circuitOpen: 'Calls to Gooten are paused after repeated failures.'
    }
  },
  SERVICE_OVERLOADED: {
    status: 503,
    title: 'The service is overloaded',
    action: 'Retry after Retry-After, backing off if it repeats.',
    retryAfterSeconds: 1,
    detail: { saturated: 'The service is saturated; retry shortly.' }
  },
  UPSTREAM_TIMEOUT: {
    status: 504,
    title: 'Gooten did not answer in time',
    action: `${LOOK_UP_FIRST} Otherwise retry with the same Idempotency-Key.`,
    detail: { deadline: 'Gooten did not answer within the request deadline.' }
  }
} as const satisfies Record<string, ProblemEntry>

export type ProblemCode = keyof typeof PROBLEMS

/** A cancel call that failed midway while Gooten does not yet show every item cancelled; any upstream code. */
export const OUTCOME_UNKNOWN_DETAIL = 'The cancel call failed and Gooten does not yet show every item cancelled. Check the order before retrying.'

/**
 * An answer that says "try again": not kept for an Idempotency-Key's replay (nor an MCP confirmation's),
 * so the retry runs again.
 */
export const saysTryAgain = (code: ProblemCode): boolean => PROBLEMS[code].status >= 500 || code === 'ORDER_BUSY' || code === 'CANCEL_IN_DOUBT'

export function problemType (code: ProblemCode): string {
  return `urn:problem:gooten-order-proxy:${code.toLowerCase().replaceAll('_', '-')}`
}
