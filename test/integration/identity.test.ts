import { randomBytes } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { CompactSign, exportSPKI, generateKeyPair, importJWK, SignJWT, type JWK } from 'jose'
import t from 'tap'
import { SEED } from '../../src/simulator/seed.js'
import { eventually } from '../helpers/eventually.js'
import { ACTOR, AUDIENCE, DELEGATING_PERSON, OTHER_AUDIENCE, SWAGGER_CLIENT_ID, TestProvider } from '../helpers/oidc.js'
import { call, cancelPath, startStack, type JsonAnswer, type Stack } from '../helpers/stack.js'

const { demo } = SEED
const KEY = 'support-tool-key-0123456789'
const body = { itemIds: [demo.items.new] }
const REALM = 'Bearer realm="gooten-order-proxy"'
const INVALID = `${REALM}, error="invalid_token"`

const provider = await TestProvider.start()
t.teardown(async () => await provider.close())

/** Every answer the service gave in this file, as text: searched for tokens at the end. */
const answered: string[] = []
/** Every log line and metrics page of every service started here. */
const written: string[] = []
/** Tokens made here that the provider did not issue (forgeries); searched for too. */
const forged: string[] = []

async function request (url: string, path: string, authorization: string | undefined, init: { method?: string, body?: unknown, headers?: Record<string, string> } = {}): Promise<JsonAnswer> {
  const answer = await call(url, path, { ...init, headers: { ...init.headers, ...(authorization === undefined ? {} : { authorization: `Bearer ${authorization}` }) } })
  answered.push(JSON.stringify(answer.body), JSON.stringify([...answer.headers]))
  return answer
}

/** The service with the provider configured (and a caller key), once it has the provider's keys. */
async function serviceWith (test: Parameters<typeof startStack>[0], env: Record<string, string> = {}): Promise<Stack> {
  const stack = await startStack(test, {
    env: { OIDC_ISSUER: provider.issuer, OIDC_AUDIENCE: AUDIENCE, API_KEYS: `support-tool:${KEY}`, ...env }
  })
  test.teardown(async () => {
    written.push(...stack.logs.raw, await (await fetch(`${stack.url}/metrics`)).text())
  })
  return stack
}

async function keysFetched (stack: Stack): Promise<void> {
  await eventually('the provider\'s keys', () => stack.app.identityProvider?.verifier !== undefined)
}

const cancel = async (stack: Stack, token: string | undefined, query = ''): Promise<JsonAnswer> =>
  await request(stack.url, cancelPath(demo.safeId, query), token, { body })

t.test('a machine\'s cancel, attributed end to end: audit and access lines name the client', async (t) => {
  const stack = await serviceWith(t)
  await keysFetched(stack)
  const token = await provider.clientToken('ops-bot')
  const answer = await cancel(stack, token)
  t.equal(answer.status, 200)
  t.equal(answer.body.outcome, 'cancelled')
  t.match(stack.logs.find('cancel audit'), [{ caller: 'ops-bot', subject: 'ops-bot', actor: null, outcome: 'cancelled' }])
  t.match(stack.logs.find('request finished'), [{ caller: 'ops-bot', subject: 'ops-bot', status: 200 }])
  t.equal(stack.sim.callCount('cancelItems'), 1)
})

t.test('a person\'s cancel (authorization code + PKCE): the audit line names the person and the application', async (t) => {
  const stack = await serviceWith(t)
  await keysFetched(stack)
  const token = await provider.personToken('alice.support')
  t.equal((await cancel(stack, token)).status, 200)
  t.match(stack.logs.find('cancel audit'), [{ caller: 'support-console', subject: 'alice.support', actor: null, outcome: 'cancelled' }])
})

t.test('a delegated token (act, RFC 8693): subject and actor both in the audit and access lines', async (t) => {
  const stack = await serviceWith(t)
  await keysFetched(stack)
  const token = await provider.personToken(DELEGATING_PERSON)
  t.equal((await cancel(stack, token)).status, 200)
  t.match(stack.logs.find('cancel audit'), [{ caller: 'support-console', subject: DELEGATING_PERSON, actor: ACTOR }])
  t.match(stack.logs.find('request finished'), [{ caller: 'support-console', subject: DELEGATING_PERSON, actor: ACTOR }])
})

t.test('scopes: orders:read lists and dry-runs, orders:cancel also cancels; from scope or scp', async (t) => {
  const stack = await serviceWith(t)
  await keysFetched(stack)
  const reader = await provider.clientToken('reporting')
  const readOnlyOps = await provider.clientToken('ops-bot', { scope: 'orders:read' })
  const noScope = await provider.clientToken('ops-bot', { scope: '' })
  const scpCanceller = await provider.clientToken('scp-bot')
  const list = `/orders/${demo.safeId}/items`
  for (const [name, token] of [['reporting', reader], ['ops-bot asking orders:read only', readOnlyOps]] as const) {
    t.equal((await request(stack.url, list, token)).status, 200, `${name} lists items`)
    t.equal((await cancel(stack, token, '?dryRun=true')).status, 200, `${name} dry-runs`)
    const refused = await cancel(stack, token)
    t.equal(refused.status, 403, `${name} may not cancel`)
    t.equal(refused.body.code, 'FORBIDDEN')
    t.equal(refused.headers.get('www-authenticate'), `${REALM}, error="insufficient_scope", scope="orders:cancel"`)
  }
  const none = await request(stack.url, list, noScope)
  t.equal(none.status, 403, 'a token with neither scope may not even read')
  t.equal(none.headers.get('www-authenticate'), `${REALM}, error="insufficient_scope", scope="orders:read"`)
  t.equal((await cancel(stack, noScope, '?dryRun=true')).status, 403)
  t.equal(stack.sim.callCount('cancelItems'), 0, 'no refused request reached Gooten\'s cancel')
  t.equal((await cancel(stack, scpCanceller)).status, 200, 'scopes from an scp array count too')
  t.equal(stack.sim.callCount('cancelItems'), 1)
})

t.test('a key and a token both work when both are configured', async (t) => {
  const stack = await serviceWith(t)
  await keysFetched(stack)
  t.equal((await cancel(stack, KEY, '?dryRun=true')).status, 200)
  t.equal((await cancel(stack, await provider.clientToken('ops-bot'), '?dryRun=true')).status, 200)
  t.same(stack.logs.find('cancel audit').map((line) => line.caller), ['support-tool', 'ops-bot'])
})

t.test('rate limits and Idempotency-Keys count per caller', async (t) => {
  const stack = await serviceWith(t, { RATE_LIMIT_PER_MINUTE: '2' })
  await keysFetched(stack)
  const ops = await provider.clientToken('ops-bot')
  const delegate = await provider.clientToken('audit-bot')
  const keyed = { headers: { 'idempotency-key': 'same-key-for-both' }, body }
  const first = await request(stack.url, cancelPath(demo.safeId, '?dryRun=true'), ops, keyed)
  const again = await request(stack.url, cancelPath(demo.safeId, '?dryRun=true'), ops, keyed)
  t.equal(again.headers.get('idempotency-replayed'), 'true', 'the same caller gets its answer replayed')
  const other = await request(stack.url, cancelPath(demo.safeId, '?dryRun=true'), delegate, keyed)
  t.equal(first.status, 200)
  t.equal(other.status, 200)
  t.equal(other.headers.get('idempotency-replayed'), null, 'another caller\'s key of the same name is its own')
  t.equal((await cancel(stack, ops, '?dryRun=true')).status, 429, 'ops-bot is over its two a minute')
  t.equal((await cancel(stack, delegate, '?dryRun=true')).status, 200, 'audit-bot has its own budget')
})

/** A token signed with `key` (the provider's own key when given), claims and header as the case says. */
async function signed (claims: Record<string, unknown>, options: { jwk?: JWK, kid?: string } = {}): Promise<string> {
  const jwk = options.jwk ?? provider.signingKey.privateJwk
  const now = Math.floor(Date.now() / 1000)
  const token = await new SignJWT({ iss: provider.issuer, aud: AUDIENCE, sub: 'mallory', client_id: 'ops-bot', scope: 'orders:read orders:cancel', iat: now, exp: now + 300, ...claims })
    .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: options.kid ?? provider.signingKey.kid })
    .sign(await importJWK(jwk, 'ES256'))
  forged.push(token)
  return token
}

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url')

t.test('forged and broken tokens: each 401 invalid_token, no Gooten call, no 500', async (t) => {
  const stack = await serviceWith(t)
  await keysFetched(stack)
  const genuine = await provider.clientToken('ops-bot')
  const [header = '', payload = '', signature = ''] = genuine.split('.')
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>
  const now = Math.floor(Date.now() / 1000)
  const stranger = await generateKeyPair('ES256', { extractable: true })
  const { exportJWK } = await import('jose')
  const strangerJwk = await exportJWK(stranger.privateKey)
  const publicPem = await exportSPKI(await importJWK(provider.signingKey.publicJwk, 'ES256') as Parameters<typeof exportSPKI>[0])
  const hs256WithPublicKey = await new CompactSign(Buffer.from(JSON.stringify({ ...claims, scope: 'orders:cancel' })))
    .setProtectedHeader({ alg: 'HS256', kid: provider.signingKey.kid })
    .sign(Buffer.from(publicPem))

  const cases: Array<[string, string]> = [
    ['alg none', `${b64({ alg: 'none', typ: 'at+jwt' })}.${b64(claims)}.`],
    ['alg none, kid of the provider\'s key', `${b64({ alg: 'none', kid: provider.signingKey.kid })}.${b64(claims)}.`],
    ['HS256 keyed with the provider\'s public key', hs256WithPublicKey],
    ['another key under the provider\'s kid', await signed({}, { jwk: strangerJwk })],
    ['tampered payload (client changed, signature kept)', `${header}.${b64({ ...claims, client_id: 'someone-else' })}.${signature}`],
    ['signature of another token', `${header}.${payload}.${(await provider.clientToken('reporting')).split('.')[2] ?? ''}`],
    ['expired', await signed({ exp: now - 120 })],
    ['no exp', await signed({ exp: undefined })],
    ['nbf ahead', await signed({ nbf: now + 600 })],
    ['issued in the future', await signed({ iat: now + 600 })],
    ['wrong iss', await signed({ iss: `${provider.issuer}/other` })],
    ['wrong aud (the provider\'s token for another resource)', await provider.clientToken('ops-bot', { resource: OTHER_AUDIENCE })],
    ['wrong aud (signed)', await signed({ aud: 'https://elsewhere.example' })],
    ['unknown kid', await signed({}, { jwk: strangerJwk, kid: 'no-such-kid' })],
    ['no client named', await signed({ client_id: undefined })],
    ['sub not a string', await signed({ sub: 42 })],
    ['act without a sub', await signed({ act: { iss: 'x' } })],
    ['garbage in three parts', 'not.a.jwt'],
    ['garbage base64 JSON', `${b64('x')}.${b64('y')}.${b64('z')}`],
    ['oversized (over 8 KiB)', `${header}.${'A'.repeat(9000)}.${signature}`],
    ['five segments (a JWE shape)', `${header}.${payload}.${signature}.${payload}.${signature}`],
    ['two segments', `${header}.${payload}`]
  ]
  forged.push(...cases.map(([, token]) => token))
  const results: string[] = []
  for (const [name, token] of cases) {
    const answer = await cancel(stack, token)
    t.equal(answer.status, 401, `${name}: 401`)
    t.equal(answer.body.code, 'UNAUTHORIZED', `${name}: UNAUTHORIZED`)
    t.equal(answer.headers.get('www-authenticate'), INVALID, `${name}: invalid_token`)
    results.push(`${name}: ${answer.status} ${String(stack.logs.find('request finished').at(-1)?.auth)}`)
  }
  t.equal(stack.sim.calls.length, 0, 'no forged token reached Gooten')
  t.equal(stack.logs.lines.filter((line) => (line.level as number) >= 50).length, 0, 'no error line')
  t.equal((await cancel(stack, genuine)).status, 200, 'the genuine token still works')
  t.comment(results.join('\n'))
})

t.test('a flood of unknown kids does not hammer the provider: one fetch per cooldown at most', async (t) => {
  const stack = await serviceWith(t)
  await keysFetched(stack)
  const before = provider.jwksRequests
  const stranger = await generateKeyPair('ES256', { extractable: true })
  const { exportJWK } = await import('jose')
  const jwk = await exportJWK(stranger.privateKey)
  const tokens = await Promise.all(Array.from({ length: 100 }, async () => await signed({}, { jwk, kid: randomBytes(6).toString('hex') })))
  const answers = await Promise.all(tokens.slice(0, 50).map(async (token) => (await cancel(stack, token)).status))
  for (const token of tokens.slice(50)) answers.push((await cancel(stack, token)).status)
  t.same(new Set(answers), new Set([401]), 'every one refused')
  t.equal(provider.jwksRequests - before, 0, 'no fetch for 100 unknown kids within the cooldown of the fetch at start')
  const metrics = await (await fetch(`${stack.url}/metrics`)).text()
  t.match(metrics, /oidc_jwks_fetches_total\{outcome="held_back"\} 100\n/, 'each held back, and counted')
  t.match(metrics, /oidc_jwks_fetches_total\{outcome="ok"\} 1\n/)
})

t.test('key rotation at the provider: a new kid is fetched once, tokens of the old key keep working', async (t) => {
  const stack = await serviceWith(t, { OIDC_JWKS_COOLDOWN_MS: '0' })
  await keysFetched(stack)
  const old = await provider.clientToken('ops-bot')
  await provider.rotateKeys({ keepOld: true })
  const fresh = await provider.clientToken('ops-bot')
  t.not(JSON.parse(Buffer.from(fresh.split('.')[0] ?? '', 'base64url').toString()).kid, JSON.parse(Buffer.from(old.split('.')[0] ?? '', 'base64url').toString()).kid)
  const before = provider.jwksRequests
  t.equal((await cancel(stack, fresh, '?dryRun=true')).status, 200, 'the new key is fetched on its first token')
  t.equal((await cancel(stack, fresh, '?dryRun=true')).status, 200)
  t.equal((await cancel(stack, old, '?dryRun=true')).status, 200, 'the old key still verifies')
  t.equal(provider.jwksRequests - before, 1, 'one fetch for the rotation')
})

t.test('the provider down: known keys keep working, unknown ones are refused without waiting on it', async (t) => {
  const stack = await serviceWith(t, { OIDC_JWKS_COOLDOWN_MS: '0' })
  await keysFetched(stack)
  const token = await provider.clientToken('ops-bot')
  provider.setDown(true)
  t.teardown(() => { provider.setDown(false) })
  t.equal((await cancel(stack, token, '?dryRun=true')).status, 200, 'a token of a known key')
  t.equal((await cancel(stack, KEY, '?dryRun=true')).status, 200, 'a caller key')
  const unknown = await signed({}, { kid: 'rotated-while-down' })
  t.equal((await cancel(stack, unknown, '?dryRun=true')).status, 401, 'an unknown kid: the keys cannot be fetched')
  t.match(await (await fetch(`${stack.url}/metrics`)).text(), /oidc_jwks_fetches_total\{outcome="failed"\} [1-9]/)
  t.equal((await cancel(stack, token, '?dryRun=true')).status, 200, 'the known key survives the failed fetch')
})

t.test('started while the provider is down: readiness waits (bounded), tokens get 503, keys work; then it recovers', async (t) => {
  provider.setDown(true)
  t.teardown(() => { provider.setDown(false) })
  const stack = await serviceWith(t, { OIDC_STARTUP_GRACE_MS: '600000' })
  const ready = await request(stack.url, '/health/ready', undefined)
  t.equal(ready.status, 503, 'not ready while the provider\'s keys are missing')
  t.match(ready.body.detail, /identity provider/)
  const token = await provider.clientToken('ops-bot').catch(() => undefined)
  t.equal(token, undefined, 'the provider is really down')
  provider.setDown(false)
  const issued = await provider.clientToken('ops-bot')
  provider.setDown(true)
  const early = await cancel(stack, issued, '?dryRun=true')
  t.equal(early.status, 503)
  t.equal(early.body.code, 'IDENTITY_PROVIDER_UNAVAILABLE')
  t.ok(Number(early.headers.get('retry-after')) > 0)
  t.equal((await cancel(stack, KEY, '?dryRun=true')).status, 200, 'caller keys work meanwhile')
  await eventually('a warning that the provider is away', () => stack.logs.find('identity provider not reached; tokens are answered 503 until it is').length > 0)
  provider.setDown(false)
  await eventually('the retry reaching the provider', () => stack.app.identityProvider?.verifier !== undefined, { withinMs: 20_000 })
  t.equal((await request(stack.url, '/health/ready', undefined)).status, 200)
  t.equal((await cancel(stack, issued, '?dryRun=true')).status, 200)
})

t.test('readiness waits for the provider at most OIDC_STARTUP_GRACE_MS', async (t) => {
  provider.setDown(true)
  t.teardown(() => { provider.setDown(false) })
  const stack = await serviceWith(t, { OIDC_STARTUP_GRACE_MS: '0' })
  t.equal((await request(stack.url, '/health/ready', undefined)).status, 200, 'ready with keys only')
})

t.test('Swagger UI sign-in: the served document offers the provider\'s authorization code flow; the committed one does not change', async (t) => {
  const stack = await serviceWith(t, { OIDC_SWAGGER_CLIENT_ID: SWAGGER_CLIENT_ID })
  await keysFetched(stack)
  const served = await (await fetch(`${stack.url}/docs/json`)).json() as { components: { securitySchemes: Record<string, unknown> }, paths: Record<string, Record<string, { security: unknown }>> }
  t.match(served.components.securitySchemes.companySignIn, {
    type: 'oauth2',
    flows: { authorizationCode: { authorizationUrl: `${provider.issuer}/auth`, tokenUrl: `${provider.issuer}/token`, scopes: { 'orders:cancel': String } } }
  })
  t.same(served.paths['/orders/{orderId}/items/cancel']?.post?.security, [{ bearerAuth: ['orders:cancel'] }, { companySignIn: ['openid', 'orders:cancel'] }])
  t.same(served.paths['/health/live']?.get?.security, [], 'open routes stay open')
  const initializer = await (await fetch(`${stack.url}/docs/static/swagger-initializer.js`)).text()
  t.match(initializer, /"clientId":"order-proxy-docs"/)
  t.match(initializer, /"usePkceWithAuthorizationCodeGrant":true/)
  const page = await fetch(`${stack.url}/docs/static/index.html`)
  t.match(page.headers.get('content-security-policy'), new RegExp(`connect-src 'self' ${provider.issuer}`), 'the page may fetch the token from the provider')
  const committed = await readFile(new URL('../../openapi/openapi.json', import.meta.url), 'utf8')
  t.notMatch(committed, /companySignIn|127\.0\.0\.1/, 'the committed document holds no deployment\'s provider')
})

t.test('no token, nor any part of one, in any log line, answer or metric', async (t) => {
  // Runs last: everything the tests above captured.
  const haystack = [...written, ...answered].join('\n')
  const tokens = [...provider.issued, ...forged]
  t.ok(provider.issued.length >= 10, `${provider.issued.length} tokens issued by the provider`)
  for (const token of tokens) {
    const parts = token.split('.').filter((part) => part.length >= 16)
    for (const part of [token, ...parts]) {
      if (haystack.includes(part)) t.fail(`a token or a part of one was written: ${part.slice(0, 12)}…`)
    }
  }
  t.pass(`searched ${haystack.length} characters for ${tokens.length} tokens and their parts`)
})
