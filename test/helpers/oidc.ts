import { createHash, randomBytes } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { exportJWK, generateKeyPair, type JWK } from 'jose'
import Provider, { errors } from 'oidc-provider'

/** The audience the service is configured with, and another resource the provider also serves. */
export const AUDIENCE = 'https://orders.internal.example'
export const OTHER_AUDIENCE = 'https://billing.internal.example'
export const SWAGGER_CLIENT_ID = 'order-proxy-docs'

/** Machine clients (client credentials), each allowed the scopes given. */
export const CLIENTS = {
  'ops-bot': { secret: 'ops-bot-secret-4f1d9a2c7e', scope: 'orders:read orders:cancel' },
  reporting: { secret: 'reporting-secret-9b3e5d1a0c', scope: 'orders:read' },
  /** Gets its token's scopes as an `scp` array (extraTokenClaims), as some providers write them. */
  'scp-bot': { secret: 'scp-bot-secret-2a7c4e9f1b', scope: 'orders:read orders:cancel' },
  'audit-bot': { secret: 'audit-bot-secret-6d2f8b3a9e', scope: 'orders:read orders:cancel' }
} as const
/** A person whose tokens say an assistant acts for them (`act`, RFC 8693), and that assistant. */
export const DELEGATING_PERSON = 'dana.person'
export const ACTOR = 'assistant-agent'
export type ClientName = keyof typeof CLIENTS

/** A person's client for the authorization code flow outside a browser. */
export const PEOPLE_CLIENT_ID = 'support-console'
const PEOPLE_REDIRECT = 'http://127.0.0.1:1/callback'

export interface SigningKey {
  kid: string
  privateJwk: JWK
  publicJwk: JWK
}

async function newSigningKey (): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true })
  const kid = randomBytes(8).toString('hex')
  return {
    kid,
    privateJwk: { ...await exportJWK(privateKey), kid, alg: 'ES256', use: 'sig' },
    publicJwk: { ...await exportJWK(publicKey), kid, alg: 'ES256', use: 'sig' }
  }
}

/**
 * A real OpenID provider (oidc-provider) on a loopback port, issuing JWT access tokens for AUDIENCE:
 * client credentials for machines, authorization code + PKCE for people (through its development
 * login page, which accepts any name). Every token it issues is kept in `issued`, so that a test can
 * search everything the service wrote for them. It can rotate its keys and go down.
 */
export class TestProvider {
  readonly issued: string[] = []
  /** Requests for the key set, counted as the provider receives them. */
  jwksRequests = 0
  /** Swagger UI's redirect page, once the service's origin is known. */
  swaggerRedirects: string[] = []
  #down = false
  #provider!: Provider
  #keys: SigningKey[] = []

  private constructor (private readonly server: Server, readonly issuer: string) {}

  static async start (): Promise<TestProvider> {
    let handler: (request: IncomingMessage, response: ServerResponse) => void = () => {}
    const server = createServer((request, response) => { handler(request, response) })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const { port } = server.address() as AddressInfo
    const provider = new TestProvider(server, `http://127.0.0.1:${port}`)
    await provider.rotateKeys({ keepOld: false })
    handler = (request, response) => { provider.#handle(request, response) }
    return provider
  }

  /** The key that signs now. */
  get signingKey (): SigningKey {
    return this.#keys[0] as SigningKey
  }

  get tokenEndpoint (): string {
    return `${this.issuer}/token`
  }

  #handle (request: IncomingMessage, response: ServerResponse): void {
    // Down: the connection is dropped, as an unreachable provider looks to a client.
    if (this.#down) {
      request.socket.destroy()
      return
    }
    if (request.url?.startsWith('/jwks') === true) this.jwksRequests++
    this.#provider.callback()(request, response)
  }

  /** Goes down (true) or comes back (false). */
  setDown (down: boolean): void {
    this.#down = down
  }

  /**
   * A new signing key. With keepOld the previous keys stay published (a rotation done right: tokens
   * already issued still verify); without, they are withdrawn.
   */
  async rotateKeys ({ keepOld }: { keepOld: boolean }): Promise<SigningKey> {
    const key = await newSigningKey()
    this.#keys = keepOld ? [key, ...this.#keys] : [key]
    this.#provider = this.#build()
    return key
  }

  #build (): Provider {
    const redirects = (): string[] => [...this.swaggerRedirects]
    const provider = new Provider(this.issuer, {
      clients: [
        ...Object.entries(CLIENTS).map(([clientId, { secret, scope }]) => ({
          client_id: clientId, client_secret: secret, scope, grant_types: ['client_credentials'], redirect_uris: [], response_types: []
        })),
        { client_id: PEOPLE_CLIENT_ID, token_endpoint_auth_method: 'none', grant_types: ['authorization_code'], response_types: ['code'], redirect_uris: [PEOPLE_REDIRECT], scope: 'openid orders:read orders:cancel' },
        // Swagger UI's public client; its redirect URI is the service's, known once the service listens.
        { client_id: SWAGGER_CLIENT_ID, token_endpoint_auth_method: 'none', grant_types: ['authorization_code'], response_types: ['code'], redirect_uris: ['http://127.0.0.1:1/unused'], scope: 'openid orders:read orders:cancel' }
      ],
      jwks: { keys: this.#keys.map((key) => key.privateJwk) },
      clientDefaults: { id_token_signed_response_alg: 'ES256' },
      cookies: { keys: ['test-provider-cookie-key-0123456789'] },
      scopes: ['openid', 'orders:read', 'orders:cancel'],
      pkce: { required: () => true },
      features: {
        devInteractions: { enabled: true },
        clientCredentials: { enabled: true },
        resourceIndicators: {
          enabled: true,
          defaultResource: () => AUDIENCE,
          useGrantedResource: () => true,
          getResourceServerInfo: (_ctx, indicator) => {
            if (indicator !== AUDIENCE && indicator !== OTHER_AUDIENCE) throw new errors.InvalidTarget()
            return { scope: 'orders:read orders:cancel', audience: indicator, accessTokenFormat: 'jwt', accessTokenTTL: 600, jwt: { sign: { alg: 'ES256' } } }
          }
        }
      },
      findAccount: (_ctx, id) => ({ accountId: id, claims: () => ({ sub: id }) }),
      extraTokenClaims: (_ctx, token) => {
        if ('accountId' in token && token.accountId === DELEGATING_PERSON) return { act: { sub: ACTOR } }
        if (token.clientId === 'scp-bot') return { scp: (token.scope ?? '').split(' ') }
        return undefined
      },
      // Swagger UI's token request comes from the service's page.
      clientBasedCORS: () => true,
      renderError: (ctx, out) => { ctx.type = 'json'; ctx.body = out }
    })
    // Swagger UI's redirect URI is the service's own page, registered once the test knows its port.
    const original = provider.Client.prototype.redirectUriAllowed
    provider.Client.prototype.redirectUriAllowed = function (this: { clientId: string }, uri: string): boolean {
      if (this.clientId === SWAGGER_CLIENT_ID) return redirects().includes(uri)
      return original.call(this, uri)
    }
    return provider
  }

  async #token (form: Record<string, string>, basic?: [string, string]): Promise<Record<string, unknown>> {
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' }
    if (basic !== undefined) headers.authorization = `Basic ${Buffer.from(`${basic[0]}:${basic[1]}`).toString('base64')}`
    const response = await fetch(this.tokenEndpoint, { method: 'POST', headers, body: new URLSearchParams(form) })
    const body = await response.json() as Record<string, unknown>
    if (response.status !== 200) throw new Error(`token request failed: ${response.status} ${JSON.stringify(body)}`)
    return body
  }

  /** A client credentials token for a machine client: every scope it may have unless `scope` says ('' asks for none). */
  async clientToken (client: ClientName, { scope = CLIENTS[client].scope, resource = AUDIENCE }: { scope?: string, resource?: string } = {}): Promise<string> {
    const body = await this.#token({ grant_type: 'client_credentials', resource, ...(scope === '' ? {} : { scope }) }, [client, CLIENTS[client].secret])
    const token = body.access_token as string
    this.issued.push(token)
    return token
  }

  /**
   * A person's token through the authorization code flow with PKCE, driven over HTTP: the provider's
   * login page (any name), its consent page, then the code exchanged at the token endpoint.
   */
  async personToken (login: string, scope = 'openid orders:read orders:cancel'): Promise<string> {
    const verifier = randomBytes(32).toString('base64url')
    const challenge = createHash('sha256').update(verifier).digest('base64url')
    const cookies = new Map<string, string>()
    const step = async (url: string, form?: Record<string, string>): Promise<string> => {
      const response = await fetch(new URL(url, this.issuer), {
        method: form === undefined ? 'GET' : 'POST',
        redirect: 'manual',
        headers: {
          cookie: [...cookies].map(([name, value]) => `${name}=${value}`).join('; '),
          ...(form === undefined ? {} : { 'content-type': 'application/x-www-form-urlencoded' })
        },
        ...(form === undefined ? {} : { body: new URLSearchParams(form) })
      })
      for (const header of response.headers.getSetCookie()) {
        const [pair = ''] = header.split(';')
        const at = pair.indexOf('=')
        cookies.set(pair.slice(0, at), pair.slice(at + 1))
      }
      const location = response.headers.get('location')
      await response.text()
      if (location === null) throw new Error(`no redirect from ${url} (${response.status})`)
      return location
    }
    const authorize = `/auth?${new URLSearchParams({ client_id: PEOPLE_CLIENT_ID, redirect_uri: PEOPLE_REDIRECT, response_type: 'code', scope, code_challenge: challenge, code_challenge_method: 'S256', resource: AUDIENCE })}`
    let location = await step(authorize)
    location = await step(await step(location, { prompt: 'login', login, password: 'any' }))
    location = await step(await step(location, { prompt: 'consent' }))
    const code = new URL(location).searchParams.get('code')
    if (code === null) throw new Error('no code in the redirect')
    const body = await this.#token({ grant_type: 'authorization_code', code, redirect_uri: PEOPLE_REDIRECT, client_id: PEOPLE_CLIENT_ID, code_verifier: verifier, resource: AUDIENCE })
    const token = body.access_token as string
    this.issued.push(token)
    return token
  }

  async close (): Promise<void> {
    this.server.closeAllConnections()
    await new Promise<void>((resolve) => this.server.close(() => { resolve() }))
  }
}
