import { isSecureOrLoopback } from '../config.js'

/** What the service needs of the provider's discovery document (OpenID Connect Discovery 1.0). */
export interface ProviderMetadata {
  issuer: string
  jwksUri: URL
  /** For Swagger UI's sign-in. */
  authorizationEndpoint: string | undefined
  tokenEndpoint: string | undefined
}

export class DiscoveryError extends Error {
  override name = 'DiscoveryError'
}

/** Where the discovery document is: the issuer without its trailing slash, then the well-known path. */
export function discoveryUrl (issuer: string): string {
  return `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`
}

function providerUrl (value: unknown, field: string): URL {
  const url = typeof value === 'string' ? URL.parse(value) : null
  if (url === null || !isSecureOrLoopback(url)) throw new DiscoveryError(`the discovery document's ${field} is not an https (or loopback http) URL`)
  return url
}

/**
 * Fetches and checks the discovery document: its `issuer` must be the configured one exactly (OpenID
 * Connect Discovery section 4.3), and its URLs https or loopback http, like the issuer. Messages name the
 * field, never a value.
 */
export async function discover (issuer: string, timeoutMs: number, fetchImpl: typeof fetch = fetch): Promise<ProviderMetadata> {
  let document: Record<string, unknown>
  try {
    const response = await fetchImpl(discoveryUrl(issuer), { signal: AbortSignal.timeout(timeoutMs), redirect: 'error', headers: { accept: 'application/json' } })
    if (response.status !== 200) throw new DiscoveryError(`the discovery document answered ${response.status}`)
    document = await response.json() as Record<string, unknown>
  } catch (error) {
    if (error instanceof DiscoveryError) throw error
    throw new DiscoveryError('the discovery document could not be fetched or read', { cause: error })
  }
  if (document === null || typeof document !== 'object') throw new DiscoveryError('the discovery document is not a JSON object')
  if (document.issuer !== issuer) throw new DiscoveryError('the discovery document names another issuer than OIDC_ISSUER')
  const optional = (field: string): string | undefined => document[field] === undefined ? undefined : providerUrl(document[field], field).href
  return {
    issuer,
    jwksUri: providerUrl(document.jwks_uri, 'jwks_uri'),
    authorizationEndpoint: optional('authorization_endpoint'),
    tokenEndpoint: optional('token_endpoint')
  }
}
