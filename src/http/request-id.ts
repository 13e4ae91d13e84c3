import { randomUUID } from 'node:crypto'
import type { IncomingMessage } from 'node:http'

/** What a caller's X-Request-Id may hold to be echoed: safe in a header, a log line and a URL. */
export const REQUEST_ID_PATTERN = '^[A-Za-z0-9._:-]{1,128}$'
const requestIdPattern = new RegExp(REQUEST_ID_PATTERN)

/** The caller's X-Request-Id when it is safe to echo, else a fresh UUID. */
export function requestIdFor (request: IncomingMessage): string {
  const incoming = request.headers['x-request-id']
  return typeof incoming === 'string' && requestIdPattern.test(incoming) ? incoming : randomUUID()
}
