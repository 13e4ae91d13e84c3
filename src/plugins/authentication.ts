import fp from 'fastify-plugin'
import type { FastifyRequest } from 'fastify'
import { ANONYMOUS, type CallerContext } from '../auth/caller.js'
import { CallerAuthenticator } from '../auth/authenticator.js'
import type { IdentityProvider } from '../auth/identity-provider.js'
import { StaticKeyRing } from '../auth/static-keys.js'
import type { ProblemError } from '../problems/problem-error.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** Who is calling, from an Authorization header: for any scope that needs callers (caller-auth.ts). */
    authenticator: CallerAuthenticator
    /** The OpenID provider, when OIDC_ISSUER is set. */
    identityProvider: IdentityProvider | undefined
  }
  interface FastifyRequest {
    /** The caller's name (a key's name or the token's client), or 'anonymous'; callerContext.caller, for short. */
    caller: string
    /** The authenticated caller; ANONYMOUS until caller-auth identifies one, and when authentication is off. */
    callerContext: CallerContext
    /** Storage behind callerContext. */
    identifiedCaller: CallerContext | undefined
    /** Why the caller was refused, in one word for the access line (never any part of the credential). */
    authFailure: string | undefined
    /** The answer for a caller that could not be identified; given once the rate limiter has counted the request. */
    authenticationProblem: ProblemError | undefined
  }
}

export interface AuthenticationOptions {
  /** Replaces fetch for discovery and the provider's keys (tests). */
  fetchImpl?: typeof fetch
}

/**
 * The authentication every caller-facing scope shares: one set of caller keys, one OpenID provider with
 * one cache of its keys. Registered once at the root; caller-auth.ts applies it to a scope's routes.
 */
export default fp<AuthenticationOptions>(async function authentication (app, options) {
  const { config } = app
  // Fastify refuses an object as a request decoration's value (every request would share it): a getter
  // gives ANONYMOUS until caller-auth sets the request's own.
  app.decorateRequest('identifiedCaller', undefined)
  app.decorateRequest('callerContext', {
    getter (this: FastifyRequest) { return this.identifiedCaller ?? ANONYMOUS },
    setter (this: FastifyRequest, context: CallerContext) { this.identifiedCaller = context }
  })
  app.decorateRequest('caller', ANONYMOUS.caller)
  app.decorateRequest('authFailure', undefined)
  app.decorateRequest('authenticationProblem', undefined)

  // The caller keys in force (API_KEYS_FILE may replace them): one ring per generation, built when it is first used.
  const { secrets } = app
  const ringOf = (callerKeys: typeof secrets.callerKeys): StaticKeyRing | undefined => callerKeys === undefined ? undefined : new StaticKeyRing(callerKeys)
  let generation = secrets.callerKeys
  let ring = ringOf(generation)
  const keys = (): StaticKeyRing | undefined => {
    if (secrets.callerKeys !== generation) {
      generation = secrets.callerKeys
      ring = ringOf(generation)
    }
    return ring
  }
  // Loaded only with a provider configured: jose and the discovery code are not needed otherwise.
  const identityProvider = config.oidc === undefined
    ? undefined
    : new (await import('../auth/identity-provider.js')).IdentityProvider({
      config: config.oidc,
      log: app.log,
      onJwksFetch: (outcome) => app.metrics.jwksFetch(outcome),
      fetchImpl: options.fetchImpl
    })
  identityProvider?.start()
  app.addHook('onClose', async () => identityProvider?.close())

  app.decorate('identityProvider', identityProvider)
  app.decorate('authenticator', new CallerAuthenticator({
    keys,
    identityProvider,
    required: config.callerKeys !== undefined || config.secretFiles.apiKeys !== undefined || identityProvider !== undefined
  }))
}, { name: 'authentication', dependencies: ['metrics'] })
