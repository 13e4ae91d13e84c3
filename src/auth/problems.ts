import { PROBLEMS } from '../problems/catalogue.js'
import { ProblemError } from '../problems/problem-error.js'
import type { Scope } from './caller.js'

const REALM = 'realm="gooten-order-proxy"'

/** No credentials, or not a Bearer one: RFC 6750 asks for the scheme alone, without an error code. */
export function credentialsMissing (detail: string): ProblemError {
  return new ProblemError('UNAUTHORIZED', detail, { headers: { 'www-authenticate': `Bearer ${REALM}` } })
}

/** Any bad key or token, whatever the reason: the answer does not say which check failed. */
export function invalidToken (): ProblemError {
  return new ProblemError('UNAUTHORIZED', PROBLEMS.UNAUTHORIZED.detail.invalid, {
    headers: { 'www-authenticate': `Bearer ${REALM}, error="invalid_token"` }
  })
}

/** A valid caller without the scope this request needs (RFC 6750 section 3.1). */
export function insufficientScope (needed: Scope): ProblemError {
  const detail = needed === 'orders:cancel' ? PROBLEMS.FORBIDDEN.detail.readOnly : PROBLEMS.FORBIDDEN.detail.cannotRead
  return new ProblemError('FORBIDDEN', detail, {
    headers: { 'www-authenticate': `Bearer ${REALM}, error="insufficient_scope", scope="${needed}"` }
  })
}

/** A token arrived before the provider's keys could be fetched: it may be good, so not a 401. */
export function identityProviderUnavailable (): ProblemError {
  return new ProblemError('IDENTITY_PROVIDER_UNAVAILABLE', PROBLEMS.IDENTITY_PROVIDER_UNAVAILABLE.detail.keysUnavailable)
}
