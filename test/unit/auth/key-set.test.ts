import { exportJWK, generateKeyPair, SignJWT, jwtVerify } from 'jose'
import t from 'tap'
import { KeySet, type JwksFetchOutcome } from '../../../src/auth/key-set.js'

const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true })
const JWKS = { keys: [{ ...await exportJWK(publicKey), kid: 'k1', alg: 'ES256' }] }
const tokenWithKid = async (kid: string): Promise<string> =>
  await new SignJWT({ sub: 'x' }).setProtectedHeader({ alg: 'ES256', kid }).setExpirationTime('5m').sign(privateKey)

function setUp (cooldownMs: number) {
  const outcomes: JwksFetchOutcome[] = []
  const state = { requests: 0, down: false, status: 200 }
  const keys = new KeySet({
    jwksUri: new URL('https://idp.example/jwks'),
    cooldownMs,
    timeoutMs: 1000,
    onFetch: (outcome) => outcomes.push(outcome),
    fetchImpl: async () => {
      state.requests++
      if (state.down) throw new TypeError('fetch failed')
      return Response.json(JWKS, { status: state.status })
    }
  })
  return { keys, outcomes, state }
}

t.test('known keys verify with no fetch; unknown kids within the cooldown are held back, not fetched', async (t) => {
  const { keys, outcomes, state } = setUp(60_000)
  await keys.refresh()
  const known = await tokenWithKid('k1')
  for (let i = 0; i < 5; i++) await jwtVerify(known, keys.resolve)
  for (let i = 0; i < 20; i++) await t.rejects(jwtVerify(await tokenWithKid(`unknown-${i}`), keys.resolve), { name: 'FetchHeldBack' })
  t.equal(state.requests, 1, 'one fetch: the one at start')
  t.same(outcomes, ['ok', ...Array(20).fill('held_back')])
})

t.test('a provider that is down: the known keys stay, and every attempt counts toward the cooldown', async (t) => {
  const { keys, outcomes, state } = setUp(60_000)
  await keys.refresh()
  state.down = true
  await t.rejects(keys.refresh(), 'an explicit refresh reports the failure')
  await jwtVerify(await tokenWithKid('k1'), keys.resolve)
  await t.rejects(jwtVerify(await tokenWithKid('new'), keys.resolve), { name: 'FetchHeldBack' }, 'the failed attempt starts a cooldown too')
  t.same(outcomes, ['ok', 'failed', 'held_back'])
  t.equal(state.requests, 2)
})

t.test('without a cooldown an unknown kid fetches at once; a non-200 answer is a failed fetch', async (t) => {
  const { keys, outcomes, state } = setUp(0)
  await keys.refresh()
  state.status = 503
  await t.rejects(jwtVerify(await tokenWithKid('new'), keys.resolve))
  t.same(outcomes, ['ok', 'failed'])
  await jwtVerify(await tokenWithKid('k1'), keys.resolve)
})
