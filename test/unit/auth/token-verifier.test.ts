import t from 'tap'
import { callerFromClaims, reasonOf, TokenRejected } from '../../../src/auth/token-verifier.js'

t.test('the caller, person and actor from the claims', async (t) => {
  t.match(callerFromClaims({ azp: 'app', client_id: 'other', sub: 'p' }), { caller: 'app', subject: 'p', actor: undefined, via: 'token' }, 'azp first')
  t.match(callerFromClaims({ client_id: 'app' }), { caller: 'app', subject: undefined }, 'client_id when there is no azp; sub optional')
  t.match(callerFromClaims({ client_id: 'app', sub: 'p', act: { sub: 'agent', act: { sub: 'deeper' } } }), { actor: 'agent' }, 'the current actor')
  t.throws(() => callerFromClaims({ sub: 'p' }), { name: 'TokenRejected', message: 'no_client' })
  t.throws(() => callerFromClaims({ azp: 'x'.repeat(257) }), { name: 'TokenRejected', message: 'no_client' }, 'bounded length')
  t.throws(() => callerFromClaims({ azp: 'has space' }), { name: 'TokenRejected', message: 'no_client' }, 'visible characters only')
  t.throws(() => callerFromClaims({ azp: 'app', act: 'agent' }), { name: 'TokenRejected', message: 'bad_claim' })
  t.throws(() => callerFromClaims({ azp: 'app', act: null }), { name: 'TokenRejected', message: 'bad_claim' })
})

t.test('scopes from scope (space separated) or scp (array or string); unknown scopes ignored', async (t) => {
  const scopes = (claims: Record<string, unknown>): string[] => [...callerFromClaims({ azp: 'app', ...claims }).scopes]
  t.same(scopes({ scope: 'openid orders:read profile' }), ['orders:read'])
  t.same(scopes({ scp: ['orders:cancel', 'x', 7] }), ['orders:cancel'])
  t.same(scopes({ scp: 'orders:read orders:cancel' }), ['orders:read', 'orders:cancel'])
  t.same(scopes({ scope: 'orders:read', scp: ['orders:cancel'] }), ['orders:read'], 'scope wins when both are present')
  t.same(scopes({}), [])
  t.same(scopes({ scope: 42 }), [])
})

t.test('why a token was refused, in one word for the access line', async (t) => {
  const coded = (code: string): Error => Object.assign(new Error('x'), { code })
  const cases: Array<[unknown, string]> = [
    [new TokenRejected('oversized'), 'oversized'],
    [coded('ERR_JWT_EXPIRED'), 'expired'],
    [coded('ERR_JWT_CLAIM_VALIDATION_FAILED'), 'claims'],
    [coded('ERR_JWS_SIGNATURE_VERIFICATION_FAILED'), 'signature'],
    [coded('ERR_JWKS_NO_MATCHING_KEY'), 'unknown_key'],
    [coded('ERR_JOSE_ALG_NOT_ALLOWED'), 'algorithm'],
    [Object.assign(new Error('x'), { name: 'FetchHeldBack' }), 'unknown_key'],
    [coded('ERR_JWS_INVALID'), 'invalid'],
    [null, 'invalid']
  ]
  for (const [error, reason] of cases) t.equal(reasonOf(error), reason)
})
