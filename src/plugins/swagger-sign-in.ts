import type { ProviderMetadata } from '../auth/discovery.js'

/** The scheme Swagger UI signs in with, added to the served document only (the committed one has none). */
export const SIGN_IN_SCHEME = 'companySignIn'
/** What the sign-in asks for: the person's identity, and both scopes (the provider grants what it allows). */
export const SIGN_IN_SCOPES = ['openid', 'orders:read', 'orders:cancel']

interface ServedDocument {
  components?: { securitySchemes?: Record<string, unknown> }
  paths?: Record<string, Record<string, { security?: Array<Record<string, string[]>> }>>
}

/**
 * The document served at /docs/json with Swagger UI's sign-in: an oauth2 authorization-code scheme
 * at the provider's endpoints (known from discovery), offered beside bearerAuth wherever that is
 * required. Before discovery has worked, or without the endpoints, the document is left as it is.
 */
export function withSignIn (document: ServedDocument, metadata: ProviderMetadata | undefined): ServedDocument {
  const authorizationUrl = metadata?.authorizationEndpoint
  const tokenUrl = metadata?.tokenEndpoint
  if (authorizationUrl === undefined || tokenUrl === undefined) return document
  document.components ??= {}
  document.components.securitySchemes = {
    ...document.components.securitySchemes,
    [SIGN_IN_SCHEME]: {
      type: 'oauth2',
      description: 'Sign in at the company\'s identity provider (authorization code with PKCE); the cancels you make are attributed to you.',
      flows: {
        authorizationCode: {
          authorizationUrl,
          tokenUrl,
          scopes: { openid: 'Your identity', 'orders:read': 'List items and dry-run cancels', 'orders:cancel': 'Cancel items' }
        }
      }
    }
  }
  for (const item of Object.values(document.paths ?? {})) {
    for (const operation of Object.values(item)) {
      const security = operation.security ?? []
      const bearer = security.find((requirement) => 'bearerAuth' in requirement)
      if (bearer !== undefined) security.push({ [SIGN_IN_SCHEME]: ['openid', ...(bearer.bearerAuth as string[])] }) // found by that key just above
    }
  }
  return document
}
