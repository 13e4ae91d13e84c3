import { readFile } from 'node:fs/promises'
import t from 'tap'
import { openapiDocument } from '../../src/openapi.js'
import { SEED } from '../../src/simulator/seed.js'
import { call, cancelPath, startStack } from '../helpers/stack.js'

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
  const { url, sim, app } = await startStack(t, { env: { CIRCUIT_FAILURE_THRESHOLD: '2', UPSTREAM_TIMEOUT_MS: '2000' } })
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
  const response = await fetch(`${url}/metrics`)
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

t.test('the committed OpenAPI document is the one the routes generate, and /docs serves it', async (t) => {
  const committed = JSON.parse(await readFile(new URL('../../openapi/openapi.json', import.meta.url), 'utf8')) as unknown
  t.same(await openapiDocument(), committed, 'openapi/openapi.json is up to date (run npm run openapi)')
  const { url } = await startStack(t)
  const served = await call(url, '/docs/json')
  t.equal(served.status, 200)
  t.same(served.body, committed)
  const ui = await fetch(`${url}/docs/`)
  t.equal(ui.status, 200)
  t.match(await ui.text(), /swagger-ui/i)
})
