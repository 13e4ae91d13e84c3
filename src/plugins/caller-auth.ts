import fp from 'fastify-plugin'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { allows, type Scope } from '../auth/caller.js'
import type { AuthOutcome } from '../auth/authenticator.js'
import { insufficientScope } from '../auth/problems.js'
import type { AuthFailureReason } from './metrics.js'

/** The metric's bounded reasons, from the access line's finer ones; a provider not reached yet is no failure of the caller's. */
function metricReason (reason: string): AuthFailureReason | undefined {
  switch (reason) {
    case 'missing':
    case 'malformed':
      return reason
    case 'unknown_key':
      return 'invalid_key'
    case 'provider_unavailable':
      return undefined
    default:
      return 'invalid_token'
  }
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * The scope this request needs (orders:read or orders:cancel); without it any authenticated caller
     * may call. A method, so that a route may declare it for its own typed request (method parameters
     * are checked both ways).
     */
    requiredScope?(request: FastifyRequest): Scope
  }
}

/**
 * Caller authentication for this scope's routes (the authentication plugin at the root does the work),
 * in three steps: `onRequest` identifies the caller (a key, or a token of the OpenID provider) or notes
 * why not; the rate limiter then counts the request (unauthenticated ones per client address, so
 * guessing keys is limited too); `preParsing` answers 401 before any body is read. A route's
 * `requiredScope` is checked once its input is validated: 403 insufficient_scope. Without any
 * authentication configured everyone is 'anonymous' and may do everything.
 *
 * Meant to be registered on any scope that serves callers: each request then has `callerContext`.
 */
export default fp(async function callerAuth (app) {
  const { authenticator } = app

  const apply = (request: FastifyRequest, outcome: AuthOutcome): void => {
    if (outcome.ok) {
      request.callerContext = outcome.caller
      request.caller = outcome.caller.caller
    } else {
      request.authenticationProblem = outcome.problem
      request.authFailure = outcome.reason
      // Counted here, before the rate limiter: a guesser it turns away is still failing to authenticate.
      const counted = metricReason(outcome.reason)
      if (counted !== undefined) app.metrics.authFailed(counted)
    }
  }

  app.addHook('onRequest', (request, _reply, done) => {
    const outcome = authenticator.authenticate(request.headers.authorization)
    if (outcome instanceof Promise) {
      // Tokens only: caller keys are answered without a promise.
      outcome.then((settled) => { apply(request, settled); done() }, done)
      return
    }
    apply(request, outcome)
    done()
  })
  app.addHook('preParsing', (request, _reply, payload, done) => {
    done(request.authenticationProblem ?? null, payload)
  })
  app.addHook('onRoute', (route) => {
    const requiredScope = route.config?.requiredScope
    if (requiredScope === undefined) return
    const checkScope = (request: FastifyRequest, _reply: FastifyReply, done: (error?: Error) => void): void => {
      const needed = requiredScope(request)
      if (allows(request.callerContext, needed)) {
        done()
        return
      }
      app.metrics.authFailed('insufficient_scope')
      done(insufficientScope(needed))
    }
    route.preHandler = [checkScope, ...[route.preHandler ?? []].flat()]
  })
}, { name: 'caller-auth', dependencies: ['request-log', 'metrics', 'authentication'] })
