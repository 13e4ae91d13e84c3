import { createHash, timingSafeEqual } from 'node:crypto'
import fp from 'fastify-plugin'
import type { FastifyRequest } from 'fastify'
import { PROBLEMS } from '../problems/catalogue.js'
import { ProblemError } from '../problems/problem-error.js'
import type { AuthFailureReason } from './metrics.js'

declare module 'fastify' {
  interface FastifyRequest {
    /**
     * Who is calling: the caller key's name, or 'anonymous' when keys are off. Undefined on routes
     * without caller keys (health, metrics) and while a key is missing or wrong.
     */
    caller: string | undefined
    /** Set when the caller's key is read-only. */
    callerReadOnly: boolean
    /** Why the caller could not be identified; answered once the rate limiter has counted the request. */
    authenticationProblem: ProblemError | undefined
  }
  interface FastifyContextConfig {
    /**
     * Whether this request changes state, so that read-only keys are refused (403). A method, so a
     * route may declare it for its own typed request (method parameters are checked both ways).
     */
    changesState?(request: FastifyRequest): boolean
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

const UNAUTHORIZED = PROBLEMS.UNAUTHORIZED.detail
const BEARER = /^Bearer +([\x21-\x7E]{1,512})$/i

/**
 * Caller keys (API_KEYS) for this scope's routes, in three steps: `onRequest` identifies the caller
 * or notes why not; the rate limiter then counts the request (unauthenticated ones per client
 * address, so guessing keys is limited too); `preParsing` answers 401 before any body is read. Routes
 * whose `changesState` says so refuse read-only keys with 403. Without API_KEYS everyone is
 * 'anonymous' and may do everything.
 */
export default fp(async function callerAuth (app) {
  const keys = app.config.callerKeys
  app.decorateRequest('caller', keys === undefined ? 'anonymous' : undefined)
  app.decorateRequest('callerReadOnly', false)
  app.decorateRequest('authenticationProblem', undefined)
  if (keys === undefined) return
  const known: KnownKey[] = keys.map(({ name, readOnly, key }) => ({ name, readOnly, digest: digestOf(key.reveal()) }))

  /** The caller's key, or the problem to answer and why, for the metrics (never the key itself). */
  function identify (header: string | undefined): KnownKey | { problem: ProblemError, reason: AuthFailureReason } {
    if (header === undefined) return { problem: unauthorized(UNAUTHORIZED.missing), reason: 'missing' }
    const match = BEARER.exec(header)
    if (match === null) return { problem: unauthorized(UNAUTHORIZED.notBearer), reason: 'malformed' }
    const presented = digestOf(match[1] as string)
    // Check every key, so the time taken does not tell which key came close.
    let found: KnownKey | undefined
    for (const candidate of known) {
      if (timingSafeEqual(candidate.digest, presented)) found = candidate
    }
    return found ?? { problem: unauthorized(UNAUTHORIZED.unknownKey), reason: 'invalid_key' }
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
        done(new ProblemError('FORBIDDEN', PROBLEMS.FORBIDDEN.detail.readOnly))
        return
      }
      done()
    }
    route.preHandler = [refuseReadOnly, ...[route.preHandler ?? []].flat()]
  })
}, { name: 'caller-auth', dependencies: ['metrics'] })
