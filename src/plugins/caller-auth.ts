import { createHash, timingSafeEqual } from 'node:crypto'
import fp from 'fastify-plugin'
import type { FastifyRequest } from 'fastify'
import { ProblemError } from '../http/problems.js'
import type { AuthFailureReason } from './metrics.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** Set when the caller's key is read-only. */
    callerReadOnly: boolean
    /** Why the caller could not be identified; answered once the rate limiter has counted the request. */
    authenticationProblem: ProblemError | undefined
  }
  interface FastifyContextConfig {
    /** Whether this request changes state, so that read-only keys are refused (403). */
    changesState?: (request: FastifyRequest) => boolean
  }
}

interface KnownKey {
  name: string
  readOnly: boolean
  digest: Buffer
}

// Comparing fixed-length digests keeps the comparison's time independent of the key's length and content.
const digestOf = (key: string): Buffer => createHash('sha256').update(key).digest()

const unauthorized = (detail: string): ProblemError => new ProblemError('UNAUTHORIZED', detail, {
  headers: { 'www-authenticate': 'Bearer realm="gooten-order-proxy"' }
})

const BEARER = /^Bearer +([\x21-\x7E]{1,512})$/i

/**
 * Caller keys (API_KEYS) for this scope's routes, in three steps: `onRequest` identifies the caller
 * or notes why not; the rate limiter then counts the request (unauthenticated ones per client
 * address, so guessing keys is limited too); `preParsing` answers 401 before any body is read. Routes
 * whose `changesState` says so refuse read-only keys with 403. Without API_KEYS everyone is
 * 'anonymous' and may do everything.
 */
export default fp(async function callerAuth (app) {
  app.decorateRequest('callerReadOnly', false)
  app.decorateRequest('authenticationProblem', undefined)
  const keys = app.config.callerKeys
  if (keys === undefined) return
  const known: KnownKey[] = keys.map(({ name, readOnly, key }) => ({ name, readOnly, digest: digestOf(key.reveal()) }))

  /** The caller's key, or the problem to answer and why, for the metrics (never the key itself). */
  function identify (header: string | undefined): KnownKey | { problem: ProblemError, reason: AuthFailureReason } {
    if (header === undefined) return { problem: unauthorized('Send Authorization: Bearer <key>.'), reason: 'missing' }
    const match = BEARER.exec(header)
    if (match === null) return { problem: unauthorized('The Authorization header must use the Bearer scheme.'), reason: 'malformed' }
    const presented = digestOf(match[1] as string)
    // Check every key, so the time taken does not tell which key came close.
    let found: KnownKey | undefined
    for (const candidate of known) {
      if (timingSafeEqual(candidate.digest, presented)) found = candidate
    }
    return found ?? { problem: unauthorized('The caller key is not valid.'), reason: 'invalid_key' }
  }

  app.addHook('onRequest', (request, _reply, done) => {
    const outcome = identify(request.headers.authorization)
    if ('problem' in outcome) {
      // Counted here, before the rate limiter: a key guesser it turns away is still failing to authenticate.
      app.metrics.authFailed(outcome.reason)
      request.authenticationProblem = outcome.problem
    } else {
      request.caller = outcome.name
      request.callerReadOnly = outcome.readOnly
    }
    done()
  })
  app.addHook('preParsing', (request, _reply, payload, done) => {
    done(request.authenticationProblem ?? null, payload)
  })
  app.addHook('onRoute', (route) => {
    const changesState = route.config?.changesState
    if (changesState === undefined) return
    const refuseReadOnly = (request: FastifyRequest, _reply: unknown, done: (error?: Error) => void): void => {
      if (request.callerReadOnly && changesState(request)) {
        app.metrics.authFailed('insufficient_scope')
        done(new ProblemError('FORBIDDEN', 'This caller key is read-only; it may list items and dry-run cancels only.'))
        return
      }
      done()
    }
    route.preHandler = [refuseReadOnly, ...[route.preHandler ?? []].flat()]
  })
}, { name: 'caller-auth', dependencies: ['request-log', 'metrics'] })
