import { CancelInDoubtError, CancellationError, OrderBusyError, OutcomeUnknownError, UnaddressableOrderError } from '../cancellation/errors.js'
import { GootenError, type GootenFailure, type UnreadableReason } from '../gooten/errors.js'
import { MAX_RESPONSE_BYTES } from '../gooten/transport.js'
import { LockDelayError, StoreUnavailableError } from '../stores/errors.js'
import { ProblemError, type ProblemCode } from './problems.js'

export interface MappedProblem {
  code: ProblemCode
  detail: string
  retryAfterSeconds?: number
  headers?: Record<string, string>
  body?: Record<string, unknown>
  /** Worth an error-level log line with the stack: it is our bug, not the caller's or Gooten's. */
  unexpected?: boolean
}

const UPSTREAM_CODE: Record<GootenFailure, ProblemCode> = {
  not_found: 'ORDER_NOT_FOUND',
  bad_response: 'UPSTREAM_BAD_RESPONSE',
  order_unreadable: 'ORDER_UNREADABLE',
  credentials_refused: 'UPSTREAM_BAD_RESPONSE',
  unavailable: 'UPSTREAM_UNAVAILABLE',
  connection_failed: 'UPSTREAM_UNAVAILABLE',
  circuit_open: 'UPSTREAM_UNAVAILABLE',
  overloaded: 'UPSTREAM_UNAVAILABLE',
  timeout: 'UPSTREAM_TIMEOUT'
}

// Our words for the caller; Gooten's own text never leaves the adapter.
const UPSTREAM_DETAIL: Record<GootenFailure, string> = {
  not_found: 'Gooten has no order with this id.',
  bad_response: 'Gooten answered something this service could not read; nothing more is known.',
  order_unreadable: 'Gooten\'s document for this order cannot be used.',
  credentials_refused: 'Gooten refused this service\'s credentials; operators have been alerted.',
  unavailable: 'Gooten kept failing; try again later.',
  connection_failed: 'Gooten could not be reached; try again later.',
  circuit_open: 'Gooten has been failing; calls are paused for a short while.',
  overloaded: 'Too many calls to Gooten are in flight; try again shortly.',
  timeout: 'Gooten did not answer within the request deadline.'
}

const UNREADABLE_WHY: Record<UnreadableReason, string> = {
  item_without_status: 'has an item without a status, so its items cannot be checked',
  unknown_shape: 'is not in a shape this service knows',
  too_large: `is over ${MAX_RESPONSE_BYTES / 1024 / 1024} MiB, the most this service reads`
}
const UNREADABLE_AFTER = 'nothing was forwarded. Other orders are not affected; asking again will not help until Gooten\'s document changes.'

function fromUpstream (error: GootenError): MappedProblem {
  const code = UPSTREAM_CODE[error.failure]
  const reason = error.details.unreadable
  const detail = reason === undefined ? UPSTREAM_DETAIL[error.failure] : `Gooten's document for this order ${UNREADABLE_WHY[reason]}; ${UNREADABLE_AFTER}`
  const mapped: MappedProblem = { code, detail }
  if (code === 'UPSTREAM_UNAVAILABLE') mapped.retryAfterSeconds = Math.max(1, Math.ceil((error.details.retryAfterMs ?? 1000) / 1000))
  return mapped
}

function fromOutcomeUnknown (error: OutcomeUnknownError): MappedProblem {
  return {
    ...fromUpstream(error.failure),
    detail: `${error.message} Check the order before retrying.`,
    body: { outcomeKnown: false, items: error.items }
  }
}

const IN_DOUBT_DETAIL = 'An earlier cancel of some of these items timed out or broke off, and Gooten may still apply it; nothing was forwarded. ' +
  'Retry after Retry-After: once Gooten shows the items cancelled they are reported already_cancelled, and once it can no longer apply that cancel they are forwarded again.'

// Gooten may show the earlier cancel sooner than the mark ends: callers look again at least this often.
const IN_DOUBT_RETRY_CAP_S = 30

function fromInDoubt (error: CancelInDoubtError): MappedProblem {
  return {
    code: 'CANCEL_IN_DOUBT',
    detail: IN_DOUBT_DETAIL,
    retryAfterSeconds: Math.min(IN_DOUBT_RETRY_CAP_S, Math.max(1, Math.ceil(error.retryAfterMs / 1000))),
    body: { items: error.items }
  }
}

function fromLockDelay (error: LockDelayError): MappedProblem {
  const seconds = Math.max(1, Math.ceil(error.retryAfterMs / 1000))
  return {
    code: 'STORE_UNAVAILABLE',
    detail: `The shared store lost its state; nothing was cancelled. Cancels resume in ${seconds} s, once no cancel sent before the loss can still reach Gooten. Reads keep working.`,
    retryAfterSeconds: seconds
  }
}

function fromCancellation (error: CancellationError): MappedProblem {
  return { code: error.code, detail: error.message, ...(error.items.length > 0 ? { body: { items: error.items } } : {}) }
}

interface FastifyLikeError {
  code?: string
  statusCode?: number
  validation?: Array<{ instancePath: string, message?: string, keyword: string, params: Record<string, unknown> }>
  validationContext?: string
}

function validationErrors (error: Required<Pick<FastifyLikeError, 'validation'>> & FastifyLikeError): Array<{ path: string, message: string }> {
  return error.validation.map((issue) => {
    // Fastify always names the part (body, params, querystring, headers) and Ajv always words the issue.
    const base = `/${error.validationContext as string}${issue.instancePath}`
    if (issue.keyword === 'required') return { path: `${base}/${String(issue.params.missingProperty)}`, message: 'is required' }
    if (issue.keyword === 'additionalProperties') return { path: `${base}/${String(issue.params.additionalProperty)}`, message: 'is not allowed' }
    return { path: base, message: issue.message as string }
  })
}

/** A VALIDATION_FAILED problem about the request as a whole: its `errors` hold one entry. */
function unreadable (path: string, message: string, detail: string): MappedProblem {
  return { code: 'VALIDATION_FAILED', detail, body: { errors: [{ path, message }] } }
}

const FASTIFY_CODES: Record<string, MappedProblem> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { code: 'PAYLOAD_TOO_LARGE', detail: 'The request body is over 16 KiB.' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { code: 'UNSUPPORTED_MEDIA_TYPE', detail: 'Send the body as application/json.' },
  FST_ERR_CTP_EMPTY_JSON_BODY: unreadable('/body', 'is empty', 'The JSON body is empty.'),
  // secure-json-parse refuses __proto__ and constructor.prototype keys with the same error.
  FST_ERR_CTP_INVALID_JSON_BODY: unreadable('/body', 'is not valid JSON, or holds a __proto__ or constructor.prototype key', 'The body is not valid JSON.')
}

/** Turns anything thrown while handling a request into the problem the caller gets. */
export function toProblem (error: unknown): MappedProblem {
  if (error instanceof ProblemError) return { code: error.code, detail: error.detail, ...error.extras }
  if (error instanceof CancellationError) return fromCancellation(error)
  if (error instanceof OutcomeUnknownError) return fromOutcomeUnknown(error)
  if (error instanceof GootenError) return fromUpstream(error)
  if (error instanceof UnaddressableOrderError) return { code: 'UPSTREAM_BAD_RESPONSE', detail: 'Gooten\'s order document does not say which order a cancel would address; nothing was forwarded.' }
  if (error instanceof CancelInDoubtError) return fromInDoubt(error)
  if (error instanceof LockDelayError) return fromLockDelay(error)
  if (error instanceof OrderBusyError) return { code: 'ORDER_BUSY', detail: 'Another cancel of this order was still running when this request\'s time ran out; nothing was forwarded. Retry shortly.', retryAfterSeconds: 1 }
  if (error instanceof StoreUnavailableError) return { code: 'STORE_UNAVAILABLE', detail: 'The shared store is unavailable; nothing was cancelled. Retry shortly.', retryAfterSeconds: 1 }
  const fastifyError = error as FastifyLikeError
  if (fastifyError.validation !== undefined) {
    return {
      code: 'VALIDATION_FAILED',
      detail: 'The request does not match the schema; see errors.',
      body: { errors: validationErrors({ ...fastifyError, validation: fastifyError.validation }) }
    }
  }
  const known = FASTIFY_CODES[fastifyError.code ?? '']
  if (known !== undefined) return known
  const status = fastifyError.statusCode ?? 500
  // Other client errors from the framework: JSON syntax, prototype poisoning, bad content length.
  if (status >= 400 && status < 500) return unreadable('', 'could not be read', 'The request could not be read.')
  return { code: 'INTERNAL_ERROR', detail: 'Something went wrong on our side.', unexpected: true }
}
