import t from 'tap'
import { SEED } from '../../src/simulator/seed.js'
import type { Fault } from '../../src/simulator/faults.js'
import { call, cancelPath, startStack, TEST_BILLING_KEY, TEST_RECIPE_ID } from '../helpers/stack.js'
import { lowerHexEncoded } from '../helpers/encoding.js'

const { demo } = SEED
const CALLER_KEY = 'caller-secret-key-5e1f9a7b3c'
const FORBIDDEN = [
  TEST_RECIPE_ID,
  TEST_BILLING_KEY,
  encodeURIComponent(TEST_BILLING_KEY),
  lowerHexEncoded(TEST_BILLING_KEY),
  CALLER_KEY,
  'partnerBillingKey=',
  'recipeid='
]

const worstCases: Fault[][] = [
  [{ kind: 'status', op: 'getOrder', status: 401 }],
  [{ kind: 'message', op: 'getOrder', message: `Invalid recipeId ${TEST_RECIPE_ID}` }],
  [{ kind: 'had-error', op: 'cancelItems', message: `Invalid partnerBillingKey ${TEST_BILLING_KEY}` }],
  [{ kind: 'html', op: 'getOrder' }],
  [{ kind: 'invalid-json', op: 'cancelItems' }],
  [{ kind: 'huge', op: 'getOrder' }],
  [{ kind: 'reset', op: 'getOrder', times: 3 }],
  [{ kind: 'reset', op: 'cancelItems' }],
  [{ kind: 'status', op: 'cancelItems', status: 500 }],
  [{ kind: 'hang', op: 'getOrder' }]
]

t.test('no log line or answer ever holds a credential, a caller key or an upstream query', async (t) => {
  const { url, sim, logs, app } = await startStack(t, {
    env: { LOG_LEVEL: 'trace', API_KEYS: `support:${CALLER_KEY}`, UPSTREAM_TIMEOUT_MS: '400' }
  })
  const answers: string[] = []
  const headers = { authorization: `Bearer ${CALLER_KEY}` }
  for (const faults of worstCases) {
    sim.reset()
    // A fresh order each time: an order whose document could not be used is remembered for a while.
    const order = sim.freshOrder()
    sim.enqueueFault(faults)
    const answer = await call(url, cancelPath(order.Id), { body: { itemIds: [order.Items[0]?.Images?.[0]?.OrderItemId as number] }, headers })
    answers.push(JSON.stringify(answer.body), JSON.stringify([...answer.headers]))
  }
  answers.push(JSON.stringify((await call(url, cancelPath(demo.safeId), { body: { itemIds: [1] }, headers: { authorization: `Bearer ${CALLER_KEY}x` } })).body))
  // A caller that sends a secret itself, as its request id or in the audited reason, finds it in no line either.
  sim.reset()
  const keyAsId = await call(url, `/orders/${demo.safeId}/items`, { headers: { ...headers, 'x-request-id': CALLER_KEY } })
  t.equal(keyAsId.status, 200)
  t.match(keyAsId.headers.get('x-request-id'), /^[0-9a-f-]{36}$/, 'an id holding a caller key is replaced by a fresh one')
  answers.push(JSON.stringify(keyAsId.body), JSON.stringify([...keyAsId.headers]))
  sim.reset()
  const keyInReason = await call(url, cancelPath(demo.safeId), { body: { itemIds: [demo.items.new], reason: `key ${CALLER_KEY} and ${lowerHexEncoded(TEST_BILLING_KEY)}` }, headers })
  t.equal(keyInReason.status, 200)
  answers.push(JSON.stringify(keyInReason.body))
  t.match(logs.raw.filter((line) => line.includes('cancel audit')).at(-1), /"reason":"key REDACTED and REDACTED"/, 'the reason is audited with the secrets replaced')
  await sim.close()
  // A careless future line logging the configuration, or the request's headers, leaks nothing either.
  app.log.info({ config: app.config, nested: { callers: app.config.callerKeys }, headers }, 'everything at once')
  answers.push(JSON.stringify((await call(url, `/orders/${demo.safeId}/items`, { headers })).body))

  const everything = [...logs.raw, ...answers].join('\n')
  t.ok(logs.raw.length > 30, 'the logs were captured')
  for (const secret of FORBIDDEN) {
    t.notOk(everything.includes(secret), `never written: ${secret.slice(0, 12)}…`)
  }
  t.notMatch(everything, /api\/v\/5\/source|orderCancel/, 'no upstream path either')
})
