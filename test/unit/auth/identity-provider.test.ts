import { exportJWK, generateKeyPair } from 'jose'
import t from 'tap'
import type { JwksFetchOutcome } from '../../../src/auth/key-set.js'
import { IdentityProvider } from '../../../src/auth/identity-provider.js'
import { eventually } from '../../helpers/eventually.js'

const ISSUER = 'https://idp.example'
const { publicKey } = await generateKeyPair('ES256', { extractable: true })
const JWKS = { keys: [{ ...await exportJWK(publicKey), kid: 'k1', alg: 'ES256' }] }

t.test('known keys are refreshed on a timer; a failed refresh keeps them and says so', async (t) => {
  const outcomes: JwksFetchOutcome[] = []
  const warnings: string[] = []
  let down = false
  const provider = new IdentityProvider({
    config: { issuer: ISSUER, audience: 'https://orders', jwksCooldownMs: 0, startupGraceMs: 0, swaggerClientId: undefined },
    log: { info: () => {}, warn: (_object, message) => warnings.push(message) },
    onJwksFetch: (outcome) => outcomes.push(outcome),
    refreshMs: 5,
    fetchImpl: async (input) => {
      if (down) throw new TypeError('fetch failed')
      return Response.json(String(input).endsWith('openid-configuration') ? { issuer: ISSUER, jwks_uri: `${ISSUER}/jwks`, token_endpoint: `${ISSUER}/token` } : JWKS)
    }
  })
  t.teardown(() => { provider.close() })
  t.equal(provider.metadata, undefined)
  provider.start()
  await eventually('the keys', () => provider.verifier !== undefined)
  t.equal(provider.metadata?.tokenEndpoint, `${ISSUER}/token`)
  t.notOk(provider.holdsReadiness)
  await eventually('two refreshes', () => outcomes.filter((outcome) => outcome === 'ok').length >= 3)
  down = true
  await eventually('a failed refresh', () => warnings.includes('the identity provider\'s keys could not be refreshed; the known keys stay in use'))
  t.ok(provider.verifier !== undefined, 'the verifier and its keys stay')
})

t.test('keys that cannot be fetched at start are retried; a closed provider schedules nothing more', async (t) => {
  const reasons: string[] = []
  let release: () => void = () => {}
  const gate = new Promise<void>((resolve) => { release = resolve })
  let fetches = 0
  const provider = new IdentityProvider({
    config: { issuer: ISSUER, audience: 'https://orders', jwksCooldownMs: 0, startupGraceMs: 0, swaggerClientId: undefined },
    log: { info: () => {}, warn: (object) => reasons.push((object as { reason: string }).reason) },
    onJwksFetch: () => {},
    fetchImpl: async (input) => {
      fetches++
      if (String(input).endsWith('openid-configuration')) return Response.json({ issuer: ISSUER, jwks_uri: `${ISSUER}/jwks` })
      await gate
      throw new TypeError('fetch failed')
    }
  })
  provider.start()
  await eventually('the key fetch under way', () => fetches === 2)
  provider.close()
  release()
  await eventually('the failure said', () => reasons.length === 1)
  t.same(reasons, ['the provider\'s keys could not be fetched'], 'a key fetch failure, not a discovery one')
  await new Promise((resolve) => setTimeout(resolve, 700))
  t.equal(fetches, 2, 'closed: no retry after the first one\'s 500 ms')
})
