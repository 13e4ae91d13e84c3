import { createHash, timingSafeEqual } from 'node:crypto'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { CallerKey } from '../config.js'
import { ProblemError } from '../http/problems.js'

interface KnownKey {
  name: string
  readOnly: boolean
  digest: Buffer
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set when the caller's key is read-only. */
    callerReadOnly: boolean
    /** Why the caller could not be identified; answered once the rate limiter has counted the request. */
    authenticationProblem: ProblemError | undefined
  }
}

// Comparing fixed-length digests keeps the comparison's time independent of the key's length and content.
const digestOf = (key: string): Buffer => createHash('sha256').update(key).digest()

const unauthorized = (detail: string): ProblemError => new ProblemError('UNAUTHORIZED', detail, {
  headers: { 'www-authenticate': 'Bearer realm="gooten-order-proxy"' }
})

/**
 * Identifies the caller by `Authorization: Bearer <key>` in two steps: `identify` (onRequest) finds
 * the key or notes why not, and `enforce` (preParsing) answers 401. In between, the rate limiter
 * counts every request, unauthenticated ones per client address, so guessing keys is limited too.
 */
export function callerAuthentication (keys: CallerKey[]) {
  const known: KnownKey[] = keys.map(({ name, readOnly, key }) => ({ name, readOnly, digest: digestOf(key) }))
  function check (header: string | undefined): KnownKey | ProblemError {
    if (header === undefined) return unauthorized('Send Authorization: Bearer <key>.')
    const match = /^Bearer +([\x21-\x7E]{1,512})$/i.exec(header)
    if (match === null) return unauthorized('The Authorization header must use the Bearer scheme.')
    const presented = digestOf(match[1] as string)
    // Check every key, so the time taken does not tell which key came close.
    let found: KnownKey | undefined
    for (const candidate of known) {
      if (timingSafeEqual(candidate.digest, presented)) found = candidate
    }
    return found ?? unauthorized('The caller key is not valid.')
  }
  return {
    identify: async function identify (request: FastifyRequest): Promise<void> {
      const outcome = check(request.headers.authorization)
      if (outcome instanceof ProblemError) {
        request.authenticationProblem = outcome
        return
      }
      request.caller = outcome.name
      request.callerReadOnly = outcome.readOnly
    },
    enforce: async function enforce (request: FastifyRequest): Promise<void> {
      if (request.authenticationProblem !== undefined) throw request.authenticationProblem
    }
  }
}

/** A preHandler for routes that change state: read-only keys may look, not act. */
export async function requireWriteAccess (request: FastifyRequest, _reply: FastifyReply): Promise<void> {
  if (request.callerReadOnly) throw new ProblemError('FORBIDDEN', 'This caller key is read-only; it may list items and dry-run cancels only.')
}
