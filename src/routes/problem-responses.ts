import { Type, type TSchema } from '@sinclair/typebox'
import { PROBLEMS, type ProblemCode } from '../http/problems.js'

/** A JSON answer referring to a shared schema, so OpenAPI lists it once under components. */
export const jsonResponse = (description: string, schema: TSchema & { $id?: string }) => ({
  description,
  content: { 'application/json': { schema: Type.Ref(schema) } }
})

/** Problems are served as application/problem+json (RFC 9457). */
export const problemResponse = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: Type.Ref('Problem') } }
})

function responses (codes: ProblemCode[]): Record<number, ReturnType<typeof problemResponse>> {
  const byStatus = new Map<number, ProblemCode[]>()
  for (const code of codes) {
    const { status } = PROBLEMS[code]
    byStatus.set(status, [...(byStatus.get(status) ?? []), code])
  }
  return Object.fromEntries([...byStatus].map(([status, grouped]) => [
    status,
    problemResponse(grouped.map((code) => `\`${code}\`: ${PROBLEMS[code].title}`).join('; '))
  ]))
}

const COMMON: ProblemCode[] = [
  'VALIDATION_FAILED', 'UNAUTHORIZED', 'RATE_LIMITED', 'ORDER_NOT_FOUND', 'INTERNAL_ERROR',
  'UPSTREAM_BAD_RESPONSE', 'UPSTREAM_UNAVAILABLE', 'NOT_READY', 'SERVICE_OVERLOADED', 'UPSTREAM_TIMEOUT'
]

/** The problem answers each route documents, grouped by status. */
export const PROBLEM_RESPONSES = {
  read: responses(COMMON),
  cancel: responses([
    ...COMMON, 'FORBIDDEN', 'ITEMS_NOT_CANCELLABLE', 'IDEMPOTENCY_KEY_IN_USE', 'PAYLOAD_TOO_LARGE',
    'UNSUPPORTED_MEDIA_TYPE', 'ITEMS_NOT_IN_ORDER', 'IDEMPOTENCY_KEY_REUSED', 'CANCEL_REJECTED', 'STORE_UNAVAILABLE'
  ])
}
