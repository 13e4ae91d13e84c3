import t from 'tap'
import { SEED } from '../../src/simulator/seed.js'
import { checkedFetch } from '../helpers/contract.js'
import { call, cancelPath, startStack, testConfig } from '../helpers/stack.js'

const { demo } = SEED
const WRITER_KEY = 'writer-key-0123456789abcdef'
const READER_KEY = 'reader-key-0123456789abcdef'
const API_KEYS = `support:${WRITER_KEY},dashboard:${READER_KEY}:ro`
const body = { itemIds: [demo.items.new] }

interface AuthCase {
  name: string
  authorization?: string
  path?: string
  method?: 'GET' | 'POST'
  status: number
  code?: string
  /** The WWW-Authenticate header (RFC 6750): the scheme alone without credentials, an error code with bad ones. */
  challenge?: string
  upstream: boolean
}

const REALM = 'Bearer realm="gooten-order-proxy"'
const INVALID = `${REALM}, error="invalid_token"`

const cases: AuthCase[] = [
  { name: 'no header', status: 401, code: 'UNAUTHORIZED', challenge: REALM, upstream: false },
  { name: 'wrong scheme', authorization: `Basic ${Buffer.from(`support:${WRITER_KEY}`).toString('base64')}`, status: 401, code: 'UNAUTHORIZED', challenge: REALM, upstream: false },
  { name: 'bearer without a key', authorization: 'Bearer ', status: 401, code: 'UNAUTHORIZED', challenge: REALM, upstream: false },
  { name: 'wrong key of the same length', authorization: `Bearer ${WRITER_KEY.replace('w', 'x')}`, status: 401, code: 'UNAUTHORIZED', challenge: INVALID, upstream: false },
  { name: 'key of another length', authorization: `Bearer ${WRITER_KEY}0`, status: 401, code: 'UNAUTHORIZED', challenge: INVALID, upstream: false },
  { name: 'a JWT-shaped value when no provider is configured', authorization: 'Bearer eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln', status: 401, code: 'UNAUTHORIZED', challenge: INVALID, upstream: false },
  { name: 'a value over the size bound', authorization: `Bearer ${'k'.repeat(9000)}`, status: 401, code: 'UNAUTHORIZED', challenge: INVALID, upstream: false },
  { name: 'read-only key cancelling', authorization: `Bearer ${READER_KEY}`, status: 403, code: 'FORBIDDEN', challenge: `${REALM}, error="insufficient_scope", scope="orders:cancel"`, upstream: false },
  { name: 'read-only key dry run', authorization: `Bearer ${READER_KEY}`, path: cancelPath(demo.safeId, '?dryRun=true'), status: 200, upstream: true },
  { name: 'read-only key listing items', authorization: `Bearer ${READER_KEY}`, path: `/orders/${demo.safeId}/items`, method: 'GET', status: 200, upstream: true },
  { name: 'valid key, lower-case scheme', authorization: `bearer ${WRITER_KEY}`, status: 200, upstream: true }
]

t.test('caller keys: each case answers the contract\'s status, upstream only when due', async (t) => {
  for (const testCase of cases) {
    await t.test(testCase.name, async (t) => {
      const { url, sim, logs } = await startStack(t, { env: { API_KEYS } })
      const answer = await call(url, testCase.path ?? cancelPath(demo.safeId), {
        method: testCase.method ?? 'POST',
        ...(testCase.method === 'GET' ? {} : { body }),
        headers: testCase.authorization === undefined ? {} : { authorization: testCase.authorization }
      })
      t.equal(answer.status, testCase.status)
      if (testCase.code !== undefined) t.equal(answer.body.code, testCase.code)
      t.equal(answer.headers.get('www-authenticate'), testCase.challenge ?? null)
      t.equal(sim.calls.length > 0, testCase.upstream, testCase.upstream ? 'called Gooten' : 'no upstream call')
      t.notMatch(logs.raw.join('\n'), new RegExp(`${WRITER_KEY}|${READER_KEY}`), 'keys never logged')
    })
  }
})

t.test('the caller\'s name is in the access and audit lines', async (t) => {
  const { url, logs } = await startStack(t, { env: { API_KEYS } })
  await call(url, cancelPath(demo.safeId), { body, headers: { authorization: `Bearer ${WRITER_KEY}` } })
  t.match(logs.find('cancel audit')[0], { caller: 'support', subject: null, actor: null, outcome: 'cancelled' })
  const access = logs.find('request finished')[0]
  t.match(access, { caller: 'support', status: 200 })
  t.notOk(access !== undefined && 'subject' in access, 'a key names no person')
  await call(url, cancelPath(demo.safeId), { body, headers: { authorization: `Bearer ${WRITER_KEY}x` } })
  t.match(logs.find('request finished')[1], { caller: 'anonymous', status: 401, code: 'UNAUTHORIZED', auth: 'unknown_key' }, 'a refusal says why in one word')
})

t.test('a caller name may hold several keys, so a new one can be handed out before the old is withdrawn', async (t) => {
  const NEXT_KEY = 'writer-key-next-0123456789'
  const { url, logs } = await startStack(t, { env: { API_KEYS: `${API_KEYS},support:${NEXT_KEY}` } })
  for (const key of [WRITER_KEY, NEXT_KEY]) {
    t.equal((await call(url, cancelPath(demo.safeId, '?dryRun=true'), { body, headers: { authorization: `Bearer ${key}` } })).status, 200)
  }
  t.same(logs.find('cancel audit').map((line) => line.caller), ['support', 'support'])
})

t.test('health, metrics and docs need no key', async (t) => {
  const { url } = await startStack(t, { env: { API_KEYS } })
  for (const path of ['/health/live', '/health/ready', '/metrics', '/docs/json']) {
    t.equal((await checkedFetch(`${url}${path}`)).status, 200, path)
  }
})

t.test('rate limit per caller: 429 problem with Retry-After and RateLimit headers', async (t) => {
  const { url, sim } = await startStack(t, { env: { API_KEYS, RATE_LIMIT_PER_MINUTE: '2' } })
  const asWriter = { authorization: `Bearer ${WRITER_KEY}` }
  const first = await call(url, `/orders/${demo.safeId}/items`, { headers: asWriter })
  t.equal(first.headers.get('ratelimit-limit'), '2')
  t.equal(first.headers.get('ratelimit-remaining'), '1')
  await call(url, `/orders/${demo.safeId}/items`, { headers: asWriter })
  const limited = await call(url, cancelPath(demo.safeId), { body, headers: asWriter })
  t.equal(limited.status, 429)
  t.equal(limited.body.code, 'RATE_LIMITED')
  t.equal(limited.headers.get('content-type'), 'application/problem+json; charset=utf-8')
  t.ok(Number(limited.headers.get('retry-after')) > 0)
  t.equal(limited.headers.get('ratelimit-remaining'), '0')
  t.equal(sim.callCount('cancelItems'), 0, 'a limited request reaches nothing upstream')
  const otherCaller = await call(url, `/orders/${demo.safeId}/items`, { headers: { authorization: `Bearer ${READER_KEY}` } })
  t.equal(otherCaller.status, 200, 'another caller has its own budget')
})

t.test('requests without a valid key are rate limited per client address, apart from the callers\' budgets', async (t) => {
  const { url, sim } = await startStack(t, { env: { API_KEYS, RATE_LIMIT_PER_MINUTE: '2' } })
  const guesses = [`Bearer ${WRITER_KEY.replace('w', 'x')}`, `Bearer ${WRITER_KEY.replace('w', 'y')}`, `Bearer ${WRITER_KEY.replace('w', 'z')}`]
  const answers = []
  for (const authorization of guesses) answers.push(await call(url, cancelPath(demo.safeId), { body, headers: { authorization } }))
  t.same(answers.map((answer) => [answer.status, answer.body.code]), [[401, 'UNAUTHORIZED'], [401, 'UNAUTHORIZED'], [429, 'RATE_LIMITED']], 'the third guess from one address is limited')
  t.equal((await call(url, cancelPath(demo.safeId), { body })).status, 429, 'so is a request with no key at all')
  const caller = await call(url, cancelPath(demo.safeId), { body, headers: { authorization: `Bearer ${WRITER_KEY}` } })
  t.equal(caller.status, 200, 'a caller with a good key from that address keeps its own budget')
  t.equal(sim.callCount('cancelItems'), 1)
})

t.test('without keys the rate limit is per client address', async (t) => {
  const { url } = await startStack(t, { env: { RATE_LIMIT_PER_MINUTE: '1' } })
  t.equal((await call(url, `/orders/${demo.safeId}/items`)).status, 200)
  t.equal((await call(url, `/orders/${demo.safeId}/items`)).status, 429)
})

t.test('behind a trusted gateway, the per-address limit uses X-Forwarded-For', async (t) => {
  const { url } = await startStack(t, { env: { RATE_LIMIT_PER_MINUTE: '1', TRUST_PROXY: '127.0.0.1' } })
  const from = (address: string) => ({ headers: { 'x-forwarded-for': address } })
  t.equal((await call(url, `/orders/${demo.safeId}/items`, from('203.0.113.7'))).status, 200)
  t.equal((await call(url, `/orders/${demo.safeId}/items`, from('203.0.113.7'))).status, 429)
  t.equal((await call(url, `/orders/${demo.safeId}/items`, from('198.51.100.4'))).status, 200, 'another client has its own budget')
})

t.test('TRUST_PROXY=true and false parse as booleans', async (t) => {
  t.equal(testConfig({ TRUST_PROXY: 'true' }).trustProxy, true)
  t.equal(testConfig({ TRUST_PROXY: 'false' }).trustProxy, false)
  t.same(testConfig({ TRUST_PROXY: '10.0.0.0/8, 127.0.0.1' }).trustProxy, ['10.0.0.0/8', '127.0.0.1'])
  t.throws(() => testConfig({ TRUST_PROXY: 'everyone' }), /TRUST_PROXY/)
})
