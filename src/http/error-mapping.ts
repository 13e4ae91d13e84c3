import { PROBLEMS, type ProblemCode } from '../problems/catalogue.js'
import { ProblemError, type ProblemExtras } from '../problems/problem-error.js'

export interface MappedProblem extends ProblemExtras {
  code: ProblemCode
  detail: string
  /** Worth an error-level log line with the stack: it is our bug, not the caller's or Gooten's. */
  unexpected?: boolean
}

const { VALIDATION_FAILED } = PROBLEMS

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

/** Fastify's own refusals, by their code. */
const FASTIFY_CODES: Record<string, MappedProblem> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { code: 'PAYLOAD_TOO_LARGE', detail: PROBLEMS.PAYLOAD_TOO_LARGE.detail.body },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { code: 'UNSUPPORTED_MEDIA_TYPE', detail: PROBLEMS.UNSUPPORTED_MEDIA_TYPE.detail.notJson },
  FST_ERR_CTP_EMPTY_JSON_BODY: unreadable('/body', 'is empty', VALIDATION_FAILED.detail.emptyBody),
  // secure-json-parse refuses __proto__ and constructor.prototype keys with the same error.
  FST_ERR_CTP_INVALID_JSON_BODY: unreadable('/body', 'is not valid JSON, or holds a __proto__ or constructor.prototype key', VALIDATION_FAILED.detail.invalidJson)
}

/**
 * Turns anything thrown while handling a request into the problem the caller gets: our own errors
 * carry their code, Fastify's are looked up by theirs, and anything else is our fault.
 */
export function toProblem (error: unknown): MappedProblem {
  if (error instanceof ProblemError) return { code: error.code, detail: error.detail, ...error.extras }
  const fastifyError = error as FastifyLikeError
  if (fastifyError.validation !== undefined) {
    return {
      code: 'VALIDATION_FAILED',
      detail: VALIDATION_FAILED.detail.schema,
      body: { errors: validationErrors({ ...fastifyError, validation: fastifyError.validation }) }
    }
  }
  const known = FASTIFY_CODES[fastifyError.code ?? '']
  if (known !== undefined) return known
  const status = fastifyError.statusCode ?? 500
  // Other client errors from the framework: JSON syntax, prototype poisoning, bad content length.
  if (status >= 400 && status < 500) return unreadable('', 'could not be read', VALIDATION_FAILED.detail.unreadable)
  return { code: 'INTERNAL_ERROR', detail: PROBLEMS.INTERNAL_ERROR.detail.unexpected, unexpected: true }
}
