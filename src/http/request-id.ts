import { randomUUID } from 'node:crypto'
import type { IncomingMessage } from 'node:http'

/** What a caller's X-Request-Id may hold to be echoed: safe in a header, a log line and a URL. */
export const REQUEST_ID_PATTERN = '^[A-Za-z0-9._:-]{1,128}$'
const requestIdPattern = new RegExp(REQUEST_ID_PATTERN)

/**
 * Fastify's genReqId: the caller's X-Request-Id when it is safe to echo, else a fresh UUID. An id that
 * holds a secret (`redact` changes it: a caller key sent as the id) is replaced too, since the id goes
 * into every log line and answer of the request.
 */
export function requestIdGenerator (redact: (text: string) => string): (request: IncomingMessage) => string {
  return (request) => {
    const incoming = request.headers['x-request-id']
    return typeof incoming === 'string' && requestIdPattern.test(incoming) && redact(incoming) === incoming ? incoming : randomUUID()
  }
}
