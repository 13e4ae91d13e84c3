import { PROBLEMS, problemType, type ProblemCode } from '../problems/catalogue.js'

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
