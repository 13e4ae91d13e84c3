import { PROBLEMS } from '../problems/catalogue.js'
import type { ProblemError } from '../problems/problem-error.js'
import { ANONYMOUS, type CallerContext } from './caller.js'
import { readCredential } from './credential.js'
import type { IdentityProvider } from './identity-provider.js'
import { credentialsMissing, identityProviderUnavailable, invalidToken } from './problems.js'
import type { StaticKeyRing } from './static-keys.js'
import type { TokenRejected } from './token-verifier.js'

export type AuthOutcome =
  | { ok: true, caller: CallerContext }
  /** `reason` is a word for the access line: never any part of the credential. */
  | { ok: false, problem: ProblemError, reason: string }

const refused = (problem: ProblemError, reason: string): AuthOutcome => ({ ok: false, problem, reason })

/**
 * Who is calling, from the Authorization header: a three-part JWT-shaped value is verified as an access
 * token of the OpenID provider, anything else is looked up among the caller keys. Keys are answered
 * synchronously; tokens need the provider's keys, so they are answered by a promise.
 */
export class CallerAuthenticator {
  constructor (private readonly sources: {
    /** The caller keys in force now (they may be rotated while the service runs); undefined: none. */
    keys: () => StaticKeyRing | undefined
    /** Undefined: tokens are not accepted. */
    identityProvider: IdentityProvider | undefined
    /** False: nothing is configured, and every caller is 'anonymous' with every scope. */
    required: boolean
  }) {}

  get required (): boolean {
    return this.sources.required
  }

  authenticate (header: string | undefined): AuthOutcome | Promise<AuthOutcome> {
    if (!this.sources.required) return { ok: true, caller: ANONYMOUS }
    const credential = readCredential(header)
    switch (credential.kind) {
      case 'missing':
        return refused(credentialsMissing(PROBLEMS.UNAUTHORIZED.detail.missing), 'missing')
      case 'malformed':
        return refused(credentialsMissing(PROBLEMS.UNAUTHORIZED.detail.notBearer), 'malformed')
      case 'oversized':
        return refused(invalidToken(), 'oversized')
      case 'key': {
        const caller = this.sources.keys()?.identify(credential.value)
        return caller === undefined ? refused(invalidToken(), 'unknown_key') : { ok: true, caller }
      }
      case 'token':
        return this.#verify(credential.value)
    }
  }

  async #verify (token: string): Promise<AuthOutcome> {
    const provider = this.sources.identityProvider
    if (provider === undefined) return refused(invalidToken(), 'tokens_off')
    const verifier = provider.verifier
    if (verifier === undefined) return refused(identityProviderUnavailable(), 'provider_unavailable')
    try {
      return { ok: true, caller: await verifier.verify(token) }
    } catch (error) {
      // verify() throws only TokenRejected.
      return refused(invalidToken(), (error as TokenRejected).reason)
    }
  }
}
