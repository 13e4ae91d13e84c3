import { Type, type TSchema } from '@sinclair/typebox'
import { NOT_ATTEMPTED, NOT_IN_ORDER, pastPreProductionReason } from '../cancellation/plan.js'
import { IN_DOUBT, NOT_ATTEMPTED_BESIDE_IN_DOUBT } from '../cancellation/service.js'
import { PROBLEMS, problemType, type ProblemCode } from '../problems/catalogue.js'

/** OpenAPI's named examples of one media type: Swagger UI offers them in a list. */
export type NamedExamples = Record<string, { summary: string, value: unknown }>

/** A JSON answer referring to a shared schema, so OpenAPI lists it once under components. */
export const jsonResponse = (description: string, schema: TSchema & { $id?: string }, examples: NamedExamples) => ({
  description,
  content: { 'application/json': { schema: Type.Ref(schema), examples } }
})

const EXAMPLE_REQUEST_ID = 'b1f0c3a2-9d7e-4c1a-8f55-2f0d6f1e9a10'

interface ProblemExample { detail: string, extras?: Record<string, unknown> }

/** A pre-check's refusal: a New item not attempted, because the other item failed the check. */
const preCheckFailed = (detail: string, newItemId: number, failed: { itemId: number, previousStatus: string | null, reason: string }): ProblemExample => ({
  detail,
  extras: {
    items: [
      { itemId: newItemId, result: 'not_attempted', previousStatus: 'New', reason: NOT_ATTEMPTED },
      { ...failed, result: 'failed' }
    ]
  }
})

/** An example of each problem code, its detail as the service words it; a status shows its first code's. */
const PROBLEM_EXAMPLES: Record<ProblemCode, ProblemExample> = {
  VALIDATION_FAILED: {
    detail: PROBLEMS.VALIDATION_FAILED.detail.schema,
    extras: { errors: [{ path: '/body/itemIds', message: 'must NOT have fewer than 1 items' }] }
  },
  UNAUTHORIZED: { detail: PROBLEMS.UNAUTHORIZED.detail.missing },
  IDENTITY_PROVIDER_UNAVAILABLE: { detail: PROBLEMS.IDENTITY_PROVIDER_UNAVAILABLE.detail.keysUnavailable },
  FORBIDDEN: { detail: PROBLEMS.FORBIDDEN.detail.readOnly },
  NOT_FOUND: { detail: PROBLEMS.NOT_FOUND.detail.route },
  ORDER_NOT_FOUND: { detail: PROBLEMS.ORDER_NOT_FOUND.detail.order },
  ITEMS_NOT_CANCELLABLE: preCheckFailed(PROBLEMS.ITEMS_NOT_CANCELLABLE.detail.some(1), 6924460,
    { itemId: 6924462, previousStatus: 'Shipped', reason: pastPreProductionReason('Shipped') }),
  IDEMPOTENCY_KEY_IN_USE: { detail: PROBLEMS.IDEMPOTENCY_KEY_IN_USE.detail.inUse },
  ORDER_BUSY: { detail: PROBLEMS.ORDER_BUSY.detail.busy },
  CANCEL_IN_DOUBT: {
    detail: PROBLEMS.CANCEL_IN_DOUBT.detail.earlierCancel,
    extras: {
      items: [
        { itemId: 6924457, result: 'unknown', previousStatus: 'New', reason: IN_DOUBT },
        { itemId: 6924458, result: 'not_attempted', previousStatus: 'Hold', reason: NOT_ATTEMPTED_BESIDE_IN_DOUBT }
      ]
    }
  },
  PAYLOAD_TOO_LARGE: { detail: PROBLEMS.PAYLOAD_TOO_LARGE.detail.body },
  UNSUPPORTED_MEDIA_TYPE: { detail: PROBLEMS.UNSUPPORTED_MEDIA_TYPE.detail.notJson },
  EXPECTATION_FAILED: { detail: PROBLEMS.EXPECTATION_FAILED.detail.unsupported },
  ITEMS_NOT_IN_ORDER: preCheckFailed(PROBLEMS.ITEMS_NOT_IN_ORDER.detail.some(1), 6924457,
    { itemId: 999, previousStatus: null, reason: NOT_IN_ORDER }),
  IDEMPOTENCY_KEY_REUSED: { detail: PROBLEMS.IDEMPOTENCY_KEY_REUSED.detail.reused },
  CANCEL_REJECTED: {
    detail: PROBLEMS.CANCEL_REJECTED.detail.all,
    extras: { items: [{ itemId: 6924457, result: 'failed', previousStatus: 'New', reason: 'Gooten refused: the item is no longer in a pre-production status.' }] }
  },
  RATE_LIMITED: { detail: PROBLEMS.RATE_LIMITED.detail.over(600, '1 minute') },
  INTERNAL_ERROR: { detail: PROBLEMS.INTERNAL_ERROR.detail.unexpected },
  UPSTREAM_BAD_RESPONSE: { detail: PROBLEMS.UPSTREAM_BAD_RESPONSE.detail.unreadable },
  ORDER_UNREADABLE: { detail: PROBLEMS.ORDER_UNREADABLE.detail.document('item_without_status') },
  UPSTREAM_UNAVAILABLE: { detail: PROBLEMS.UPSTREAM_UNAVAILABLE.detail.failing },
  STORE_UNAVAILABLE: { detail: PROBLEMS.STORE_UNAVAILABLE.detail.down },
  NOT_READY: { detail: PROBLEMS.NOT_READY.detail.shuttingDown },
  SERVICE_OVERLOADED: { detail: PROBLEMS.SERVICE_OVERLOADED.detail.saturated },
  UPSTREAM_TIMEOUT: { detail: PROBLEMS.UPSTREAM_TIMEOUT.detail.deadline }
}

function problemExample (code: ProblemCode): Record<string, unknown> {
  const { status, title } = PROBLEMS[code]
  const { detail, extras } = PROBLEM_EXAMPLES[code]
  return { type: problemType(code), title, status, detail, code, requestId: EXAMPLE_REQUEST_ID, ...extras }
}

/** One line per code: its title, then what the caller should do. */
const describe = (code: ProblemCode): string => `- \`${code}\`: ${PROBLEMS[code].title}. ${PROBLEMS[code].action}`

/**
 * Problems are served as application/problem+json (RFC 9457). The description says, for each code
 * this status can carry, what to do about it; one example (the first code's) keeps the page short.
 */
export const problemResponse = (codes: [ProblemCode, ...ProblemCode[]]) => ({
  description: codes.map(describe).join('\n'),
  content: {
    'application/problem+json': {
      schema: Type.Ref('Problem'),
      examples: { [codes[0]]: { summary: PROBLEMS[codes[0]].title, value: problemExample(codes[0]) } }
    }
  }
})

function responses (codes: ProblemCode[]): Record<number, ReturnType<typeof problemResponse>> {
  const byStatus = new Map<number, [ProblemCode, ...ProblemCode[]]>()
  for (const code of codes) {
    const { status } = PROBLEMS[code]
    byStatus.set(status, [...(byStatus.get(status) ?? []), code] as [ProblemCode, ...ProblemCode[]])
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
    ...COMMON, 'ITEMS_NOT_CANCELLABLE', 'IDEMPOTENCY_KEY_IN_USE', 'ORDER_BUSY', 'CANCEL_IN_DOUBT', 'PAYLOAD_TOO_LARGE',
    'UNSUPPORTED_MEDIA_TYPE', 'ITEMS_NOT_IN_ORDER', 'IDEMPOTENCY_KEY_REUSED', 'CANCEL_REJECTED', 'STORE_UNAVAILABLE'
  ])
}
