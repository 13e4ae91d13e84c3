import { jwtVerify, type JWTPayload } from 'jose'
import { SCOPES, type CallerContext, type Scope } from './caller.js'
import type { KeySet } from './key-set.js'

/**
 * Asymmetric signatures only (RFC 8725 section 3.1): never `none`, never HS* (an HMAC keyed with a public
 * key anyone can read would verify a forgery).
 */
export const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519']
/** Leeway for clocks that differ between the provider and this service, for `exp`, `nbf` and `iat`. */
export const CLOCK_TOLERANCE_SECONDS = 30

/** Claims end up in log lines and rate-limit keys: a bounded run of visible characters, or nothing. */
const CLAIM_TEXT = /^[\x21-\x7e]{1,256}$/

/** Why a token was refused: a stable word for the access line, never a claim value or any of the token. */
export class TokenRejected extends Error {
  override name = 'TokenRejected'
  constructor (readonly reason: string) {
    super(reason)
  }
}

const KNOWN_SCOPES = new Set<string>(SCOPES)

/** `scope` (space separated, RFC 9068) or `scp` (an array, or a string, as providers differ); only ours kept. */
function scopesOf (payload: JWTPayload): ReadonlySet<Scope> {
  const raw = payload.scope ?? payload.scp
  const listed = typeof raw === 'string' ? raw.split(' ') : Array.isArray(raw) ? raw : []
  return new Set(listed.filter((scope): scope is Scope => typeof scope === 'string' && KNOWN_SCOPES.has(scope)))
}

function text (value: unknown): string | undefined {
  return typeof value === 'string' && CLAIM_TEXT.test(value) ? value : undefined
}

/** The claims that name the caller, the person and the actor, or TokenRejected. */
export function callerFromClaims (payload: JWTPayload): CallerContext {
  const caller = text(payload.azp) ?? text(payload.client_id)
  if (caller === undefined) throw new TokenRejected('no_client')
  if (payload.sub !== undefined && text(payload.sub) === undefined) throw new TokenRejected('bad_claim')
  const act = payload.act
  const actor = act !== null && typeof act === 'object' ? text((act as { sub?: unknown }).sub) : undefined
  if (act !== undefined && actor === undefined) throw new TokenRejected('bad_claim')
  return { caller, subject: payload.sub, actor, scopes: scopesOf(payload), via: 'token' }
}

/** jose's error codes, shortened for the access line; anything else is 'invalid'. */
export function reasonOf (error: unknown): string {
  if (error instanceof TokenRejected) return error.reason
  const code = (error as { code?: unknown } | null)?.code
  switch (code) {
    case 'ERR_JWT_EXPIRED': return 'expired'
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED': return 'claims'
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED': return 'signature'
    case 'ERR_JWKS_NO_MATCHING_KEY': return 'unknown_key'
    case 'ERR_JOSE_ALG_NOT_ALLOWED': return 'algorithm'
    default: return (error as Error | null)?.name === 'FetchHeldBack' ? 'unknown_key' : 'invalid'
  }
}

/**
 * Verifies an access token as a careful resource server does (RFC 9068, RFC 8725): the signature with
 * the provider's key chosen by `kid`, an asymmetric algorithm, `iss` and `aud` exactly, `exp` present,
 * `nbf` and `iat` honoured with CLOCK_TOLERANCE_SECONDS. Throws TokenRejected, whose reason holds no
 * part of the token.
 */
export class TokenVerifier {
  constructor (private readonly options: { issuer: string, audience: string, keys: KeySet }) {}

  async verify (token: string): Promise<CallerContext> {
    let payload: JWTPayload
    try {
      ({ payload } = await jwtVerify(token, this.options.keys.resolve, {
        issuer: this.options.issuer,
        audience: this.options.audience,
        algorithms: ALGORITHMS,
        requiredClaims: ['exp'],
        clockTolerance: CLOCK_TOLERANCE_SECONDS
      }))
    } catch (error) {
      // jose's errors carry the claims (error.payload): only a reason leaves this function.
      throw new TokenRejected(reasonOf(error))
    }
    // jose checks a future `iat` only together with a maximum age; a token issued in the future is refused here.
    if (typeof payload.iat === 'number' && payload.iat > Date.now() / 1000 + CLOCK_TOLERANCE_SECONDS) throw new TokenRejected('claims')
    return callerFromClaims(payload)
  }
}
