import { Type, type TSchema } from '@sinclair/typebox'
import { PROBLEMS, problemType, type ProblemCode } from './problems.js'

/** OpenAPI's named examples of one media type: Swagger UI offers them in a list. */
export type NamedExamples = Record<string, { summary: string, value: unknown }>

/** A JSON answer referring to a shared schema, so OpenAPI lists it once under components. */
export const jsonResponse = (description: string, schema: TSchema & { $id?: string }, examples: NamedExamples) => ({
  description,
  content: { 'application/json': { schema: Type.Ref(schema), examples } }
})

const EXAMPLE_REQUEST_ID = 'b1f0c3a2-9d7e-4c1a-8f55-2f0d6f1e9a10'
const NOT_ATTEMPTED = 'Not forwarded: another requested item failed a pre-check.'

/** One example per problem code, in the words the service uses. */
const PROBLEM_EXAMPLES: Record<ProblemCode, { detail: string, extras?: Record<string, unknown> }> = {
  VALIDATION_FAILED: {
    detail: 'The request does not match the schema; see errors.',
    extras: { errors: [{ path: '/body/itemIds', message: 'must NOT have fewer than 1 items' }] }
  },
  UNAUTHORIZED: { detail: 'Send Authorization: Bearer <caller key or access token>.' },
  FORBIDDEN: { detail: 'This caller may list items and dry-run cancels only; a cancel needs the orders:cancel scope.' },
  NOT_FOUND: { detail: 'No route matches this method and path.' },
  ORDER_NOT_FOUND: { detail: 'Gooten has no order with this id.' },
  ITEMS_NOT_CANCELLABLE: {
    detail: '1 of the requested items are no longer cancellable.',
    extras: {
      items: [
        { itemId: 6924460, result: 'not_attempted', previousStatus: 'New', reason: NOT_ATTEMPTED },
        { itemId: 6924462, result: 'failed', previousStatus: 'Shipped', reason: 'Status Shipped is past pre-production; Gooten no longer cancels this item.' }
      ]
    }
  },
  IDEMPOTENCY_KEY_IN_USE: { detail: 'A request with this Idempotency-Key is still being processed; retry shortly.' },
  ORDER_BUSY: { detail: 'Another cancel of this order was still running when this request\'s time ran out; nothing was forwarded. Retry shortly.' },
  CANCEL_IN_DOUBT: {
    detail: 'An earlier cancel of some of these items timed out or broke off, and Gooten may still apply it; nothing was forwarded. ' +
      'Retry after Retry-After: once Gooten shows the items cancelled they are reported already_cancelled, and once it can no longer apply that cancel they are forwarded again.',
    extras: {
      items: [
        { itemId: 6924457, result: 'unknown', previousStatus: 'New', reason: 'A cancel of this item sent earlier has an unknown outcome and Gooten may still apply it; not forwarded again.' },
        { itemId: 6924458, result: 'not_attempted', previousStatus: 'Hold', reason: 'Not forwarded: another requested item has a cancel with an unknown outcome.' }
      ]
    }
  },
  PAYLOAD_TOO_LARGE: { detail: 'The request body is over 16 KiB.' },
  UNSUPPORTED_MEDIA_TYPE: { detail: 'Send the body as application/json.' },
  EXPECTATION_FAILED: { detail: 'Only Expect: 100-continue is supported.' },
  ITEMS_NOT_IN_ORDER: {
    detail: '1 of the requested items are not in this order.',
    extras: {
      items: [
        { itemId: 6924457, result: 'not_attempted', previousStatus: 'New', reason: NOT_ATTEMPTED },
        { itemId: 999, result: 'failed', previousStatus: null, reason: 'The order has no item with this id.' }
      ]
    }
  },
  IDEMPOTENCY_KEY_REUSED: { detail: 'This Idempotency-Key was already used with a different order, items or dry run.' },
  CANCEL_REJECTED: {
    detail: 'Gooten refused to cancel every item that was forwarded.',
    extras: { items: [{ itemId: 6924457, result: 'failed', previousStatus: 'New', reason: 'Gooten refused: the item is no longer in a pre-production status.' }] }
  },
  RATE_LIMITED: { detail: 'Over 600 requests per minute; retry in 1 minute.' },
  INTERNAL_ERROR: { detail: 'Something went wrong on our side.' },
  UPSTREAM_BAD_RESPONSE: { detail: 'Gooten answered something this service could not read; nothing more is known.' },
  ORDER_UNREADABLE: { detail: 'Gooten\'s document for this order has an item without a status, so its items cannot be checked; nothing was forwarded. Other orders are not affected; asking again will not help until Gooten\'s document changes.' },
  UPSTREAM_UNAVAILABLE: { detail: 'Gooten kept failing; try again later.' },
  STORE_UNAVAILABLE: { detail: 'The shared store is unavailable; nothing was cancelled. Retry shortly.' },
  IDENTITY_PROVIDER_UNAVAILABLE: { detail: 'The identity provider\'s keys are not available yet; retry shortly.' },
  NOT_READY: { detail: 'The service is shutting down; retry on another replica.' },
  SERVICE_OVERLOADED: { detail: 'The service is saturated; retry shortly.' },
  UPSTREAM_TIMEOUT: { detail: 'Gooten did not answer within the request deadline.' }
}

function problemExample (code: ProblemCode): Record<string, unknown> {
  const { status, title } = PROBLEMS[code]
  const { detail, extras } = PROBLEM_EXAMPLES[code]
  return { type: problemType(code), title, status, detail, code, requestId: EXAMPLE_REQUEST_ID, ...extras }
}

/** Problems are served as application/problem+json (RFC 9457), with one example per code. */
export const problemResponse = (codes: ProblemCode[]) => ({
  description: codes.map((code) => `\`${code}\`: ${PROBLEMS[code].title}`).join('; '),
  content: {
    'application/problem+json': {
      schema: Type.Ref('Problem'),
      examples: Object.fromEntries(codes.map((code) => [code, { summary: PROBLEMS[code].title, value: problemExample(code) }]))
    }
  }
})

function responses (codes: ProblemCode[]): Record<number, ReturnType<typeof problemResponse>> {
  const byStatus = new Map<number, ProblemCode[]>()
  for (const code of codes) {
    const { status } = PROBLEMS[code]
    byStatus.set(status, [...(byStatus.get(status) ?? []), code])
  }
  return Object.fromEntries([...byStatus].map(([status, grouped]) => [status, problemResponse(grouped)]))
}

const COMMON: ProblemCode[] = [
  'VALIDATION_FAILED', 'UNAUTHORIZED', 'FORBIDDEN', 'IDENTITY_PROVIDER_UNAVAILABLE', 'EXPECTATION_FAILED', 'RATE_LIMITED', 'ORDER_NOT_FOUND', 'INTERNAL_ERROR',
  'UPSTREAM_BAD_RESPONSE', 'ORDER_UNREADABLE', 'UPSTREAM_UNAVAILABLE', 'NOT_READY', 'SERVICE_OVERLOADED', 'UPSTREAM_TIMEOUT'
]

/** The problem answers each route documents, grouped by status. */
export const PROBLEM_RESPONSES = {
  read: responses(COMMON),
  cancel: responses([
    ...COMMON, 'FORBIDDEN', 'ITEMS_NOT_CANCELLABLE', 'IDEMPOTENCY_KEY_IN_USE', 'ORDER_BUSY', 'CANCEL_IN_DOUBT', 'PAYLOAD_TOO_LARGE',
    'UNSUPPORTED_MEDIA_TYPE', 'ITEMS_NOT_IN_ORDER', 'IDEMPOTENCY_KEY_REUSED', 'CANCEL_REJECTED', 'STORE_UNAVAILABLE'
  ])
}
