import { readFile } from 'node:fs/promises'
import t from 'tap'
import { Pool } from 'undici'
import { buildApp } from '../../src/app.js'
import type { OrderLocks } from '../../src/cancellation/ports.js'
import { openapiDocument, serialise } from '../../src/openapi.js'
import { SEED } from '../../src/simulator/seed.js'
import { startSimulator } from '../../src/simulator/server.js'
import { eventually } from '../helpers/eventually.js'
import { checkAnswer, checkedFetch } from '../helpers/contract.js'
import { call, cancelPath, LogCapture, startStack, TEST_BILLING_KEY, TEST_RECIPE_ID, testConfig } from '../helpers/stack.js'

const { demo, mixed } = SEED

t.test('GET /orders/:orderId/items shows each item and whether it can be cancelled', async (t) => {
  const { url, sim } = await startStack(t)
  const answer = await call(url, `/orders/${mixed.safeId}/items`)
  t.equal(answer.status, 200)
  t.equal(answer.body.orderId, mixed.safeId)
  t.equal(answer.body.gootenOrderId, mixed.gootenId)
  t.same(answer.body.items?.map((i) => [i.itemId, i.status, i.cancellable]), [
    [mixed.items.new, 'New', true],
    [mixed.items.cancelled, 'Cancelled', false],
    [mixed.items.shipped, 'Shipped', false],
    [mixed.items.inProduction, 'InProduction', false],
    [mixed.items.pending, 'Pending', true]
  ])
  t.type(answer.body.items?.[0]?.sku, 'string')
  t.type(answer.body.items?.[0]?.quantity, 'number')
  const missing = await call(url, '/orders/13-00000000-0000-0000-0000-000000000000/items')
  t.equal(missing.status, 404)
  t.equal(missing.body.code, 'ORDER_NOT_FOUND')
  t.equal(sim.callCount('cancelItems'), 0)
})

t.test('health: live always, ready once booted and while the circuit is closed', async (t) => {
  const { url, sim, app } = await startStack(t, { env: { CIRCUIT_FAILURE_THRESHOLD: '2', CIRCUIT_OPEN_MS: '500', UPSTREAM_TIMEOUT_MS: '2000' } })
  t.same((await call(url, '/health/live')).body, { status: 'ok' })
  t.same((await call(url, '/health/ready')).body, { status: 'ready' })

  sim.enqueueFault({ kind: 'status', op: 'getOrder', status: 500, times: 2 })
  await call(url, `/orders/${demo.safeId}/items`)
  await call(url, `/orders/${demo.safeId}/items`)
  const open = await call(url, '/health/ready')
  t.equal(open.status, 503, 'not ready while the circuit is open')
  t.equal(open.body.code, 'NOT_READY')
  t.ok(Number(open.headers.get('retry-after')) >= 1)

  const shed = await call(url, `/orders/${demo.safeId}/items`)
  t.equal(shed.status, 503)
  t.equal(shed.body.code, 'UPSTREAM_UNAVAILABLE')
  t.equal(sim.callCount('getOrder'), 2, 'an open circuit makes no call')

  // A gateway sends an unready replica no request, so none can make the trial call: the pause's
  // end alone must make it ready again.
  await eventually('ready again once the pause is over, with no traffic', async () => (await call(url, '/health/ready')).status === 200)
  t.equal(sim.callCount('getOrder'), 2)

  app.readiness.drain()
  const draining = await call(url, '/health/ready')
  t.equal(draining.status, 503)
  t.match(draining.body.detail, /draining/)
  t.equal((await call(url, '/health/live')).status, 200)
})

t.test('metrics: requests by route and status, upstream calls by op and outcome, retries, circuit, in flight', async (t) => {
  const { url, sim } = await startStack(t)
  sim.enqueueFault({ kind: 'status', op: 'getOrder', status: 503 })
  await call(url, cancelPath(demo.safeId), { body: { itemIds: [demo.items.new] } })
  await call(url, cancelPath(demo.safeId), { body: { itemIds: [] } })
  const response = await checkedFetch(`${url}/metrics`)
  t.equal(response.status, 200)
  t.match(response.headers.get('content-type'), /^text\/plain/)
  const text = await response.text()
  t.match(text, /http_requests_total\{method="POST",route="\/orders\/:orderId\/items\/cancel",status="200"\} 1/)
  t.match(text, /http_requests_total\{method="POST",route="\/orders\/:orderId\/items\/cancel",status="400"\} 1/)
  t.match(text, /http_request_duration_seconds_bucket\{le="[0-9.+Inf]+",method="POST"/)
  t.match(text, /gooten_upstream_calls_total\{op="getOrder",outcome="unavailable"\} 1/)
  t.match(text, /gooten_upstream_calls_total\{op="getOrder",outcome="ok"\} 1/)
  t.match(text, /gooten_upstream_calls_total\{op="cancelItems",outcome="ok"\} 1/)
  t.match(text, /gooten_upstream_retries_total\{op="getOrder"\} 1/)
  t.match(text, /gooten_upstream_circuit_state\{state="closed"\} 1/)
  t.match(text, /gooten_upstream_in_flight 0/)
})

t.test('the committed OpenAPI file is byte for byte what npm run openapi writes from the routes, and /docs serves that document', async (t) => {
  const committed = await readFile(new URL('../../openapi/openapi.json', import.meta.url), 'utf8')
  t.equal(serialise(await openapiDocument()), committed, 'openapi/openapi.json is up to date (run npm run openapi)')
  const { url } = await startStack(t)
  const served = await call(url, '/docs/json')
  t.equal(served.status, 200)
  t.same(served.body, JSON.parse(committed), 'the running service documents itself with the committed document')
  const ui = await fetch(`${url}/docs/`)
  t.equal(ui.status, 200)
  t.match(await ui.text(), /swagger-ui/i)
})

t.test('an injected connection pool and lock are used, and the pool is left to its owner', async (t) => {
  const sim = await startSimulator({ recipeId: TEST_RECIPE_ID, partnerBillingKey: TEST_BILLING_KEY })
  const pool = new Pool(sim.url)
  t.teardown(async () => {
    await pool.close()
    await sim.close()
  })
  const lockedKeys: string[] = []
  const locks: OrderLocks = {
    stamp: async () => 0,
    run: async (key, _since, _signal, task) => {
      lockedKeys.push(key)
      return await task(false, { markInDoubt: async () => [], clearInDoubt: async () => {} })
    }
  }
  const app = await buildApp({ config: testConfig({ GOOTEN_BASE_URL: sim.url }), dispatcher: pool, locks, logStream: new LogCapture().stream })
  const answer = await app.inject({ method: 'POST', url: cancelPath(demo.safeId), payload: { itemIds: [demo.items.new] } })
  checkAnswer({ method: 'POST', path: cancelPath(demo.safeId), status: answer.statusCode, headers: answer.headers, text: answer.body })
  t.equal(answer.statusCode, 200)
  t.same(lockedKeys, [`gooten:${demo.gootenId}`])
  await app.close()
  t.equal(pool.closed, false, 'the app did not close a pool it does not own')
})

t.test('plain http to Gooten beyond loopback needs GOOTEN_ALLOW_PLAIN_HTTP, and is announced loudly at start', async (t) => {
  const logs = new LogCapture()
  const app = await buildApp({ config: testConfig({ GOOTEN_BASE_URL: 'http://gooten-simulator.internal:4010', GOOTEN_ALLOW_PLAIN_HTTP: 'true' }), logStream: logs.stream })
  await app.close()
  t.match(logs.lines.find((line) => line.level === 40 && typeof line.msg === 'string' && line.msg.startsWith('GOOTEN_ALLOW_PLAIN_HTTP')), {
    gootenBaseUrl: 'http://gooten-simulator.internal:4010'
  })
  const quiet = new LogCapture()
  await (await buildApp({ config: testConfig(), logStream: quiet.stream })).close()
  t.notOk(quiet.raw.some((line) => line.includes('GOOTEN_ALLOW_PLAIN_HTTP')), 'not a word of it otherwise')
})

t.test('security headers: Helmet\'s whole set on the Swagger UI pages, nosniff on every JSON answer', async (t) => {
  const { url } = await startStack(t)
  for (const path of ['/docs/', '/docs/json']) {
    const page = await checkedFetch(`${url}${path}`)
    await page.arrayBuffer()
    t.match(page.headers.get('content-security-policy'), /script-src 'self'/, `${path}: a CSP`)
    t.equal(page.headers.get('x-frame-options'), 'SAMEORIGIN', `${path}: no framing`)
  }
  for (const path of [`/orders/${demo.safeId}/items`, '/orders/x.y/items', '/health/ready', '/nope']) {
    const answer = await call(url, path)
    t.equal(answer.headers.get('x-content-type-options'), 'nosniff', `${path}: nosniff`)
    t.equal(answer.headers.get('content-security-policy'), null, `${path}: no page headers on JSON`)
  }
})

t.test('a bug of ours is a 500 problem with no stack, logged with its stack', async (t) => {
  const logs = new LogCapture()
  const app = await buildApp({ config: testConfig(), logStream: logs.stream })
  app.get('/boom', async () => { throw new TypeError('secret internals') })
  const answer = await app.inject({ method: 'GET', url: '/boom' })
  await app.close()
  t.equal(answer.statusCode, 500)
  t.equal(answer.json().code, 'INTERNAL_ERROR')
  t.notMatch(answer.body, /secret internals|TypeError|at /)
  const logged = logs.lines.find((line) => line.msg === 'unhandled error') as { level: number, err: { stack: string } }
  t.equal(logged.level, 50)
  t.match(logged.err.stack, /secret internals/)
})

t.test('a URL that is not valid percent-encoding is a 400 problem', async (t) => {
  const { url, sim } = await startStack(t)
  const answer = await call(url, '/orders/%E0%A4%A/items')
  t.equal(answer.status, 400)
  t.equal(answer.body.code, 'VALIDATION_FAILED')
  t.equal(sim.calls.length, 0)
})

t.test('the in-flight gauge counts Gooten calls under way when scraped', async (t) => {
  const { url, sim } = await startStack(t)
  sim.enqueueFault({ kind: 'delay', op: 'getOrder', ms: 300 })
  const read = call(url, `/orders/${SEED.demo.safeId}/items`)
  await eventually('the lookup to reach Gooten', () => sim.callCount('getOrder') === 1)
  t.match(await (await fetch(`${url}/metrics`)).text(), /\ngooten_upstream_in_flight 1\n/)
  t.equal((await read).status, 200)
  t.match(await (await fetch(`${url}/metrics`)).text(), /\ngooten_upstream_in_flight 0\n/)
})
