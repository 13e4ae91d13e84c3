import { request as httpRequest } from 'node:http'
import t from 'tap'
import { SEED } from '../../src/simulator/seed.js'
import { eventually } from '../helpers/eventually.js'
import { call, cancelPath, startStack, TEST_RECIPE_ID } from '../helpers/stack.js'

// The edges of edges.test.ts in one process, where the log lines are captured as they are written.
const { demo, duplicateNewFirst } = SEED
const CALLER_KEY = 'c0ffee'.repeat(10) + 'c0ff'

t.test('a caller key or the recipe id as the order id: 400 before any upstream call; nothing logged', async (t) => {
  const { url, sim, logs } = await startStack(t, { env: { API_KEYS: `edge:edge-key-0123456789abcdef,other:${CALLER_KEY}` } })
  const headers = { authorization: 'Bearer edge-key-0123456789abcdef' }
  for (const secret of [CALLER_KEY, TEST_RECIPE_ID, encodeURIComponent(TEST_RECIPE_ID)]) {
    const cancel = await call(url, cancelPath(secret), { body: { itemIds: [demo.items.new] }, headers: { ...headers, 'idempotency-key': `k-${secret}` } })
    t.equal(cancel.status, 400)
    t.same(cancel.body.errors, [{ path: '/params/orderId', message: 'must not hold a credential' }])
    t.equal((await call(url, `/orders/${secret}/items`, { headers })).status, 400)
  }
  t.equal(sim.callCount(), 0)
  t.notOk(logs.raw.join('\n').includes(CALLER_KEY))
  t.notOk(logs.raw.join('\n').includes(TEST_RECIPE_ID))
})

t.test('a caller who hangs up mid-cancel: one access line with its Gooten calls', async (t) => {
  const { url, sim, logs } = await startStack(t)
  sim.enqueueFault({ kind: 'delay', op: 'cancelItems', ms: 300 })
  const client = httpRequest(`${url}${cancelPath(demo.safeId)}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-request-id': 'hung-up' } })
  client.on('error', () => {})
  client.end(JSON.stringify({ itemIds: [demo.items.new] }))
  await eventually('the cancel call to reach Gooten', () => sim.callCount('cancelItems') === 1)
  client.destroy()
  await eventually('the access line', () => logs.find('request finished').some((line) => line.reqId === 'hung-up'))
  t.equal((await call(url, '/health/live')).status, 200)
  const lines = logs.find('request finished').filter((line) => line.reqId === 'hung-up')
  t.equal(lines.length, 1)
  t.match(lines[0], { status: 200, callerHungUp: true, upstream: [{ op: 'getOrder' }, { op: 'cancelItems' }] })
})

t.test('the read of an order that lists an item twice with different statuses shows neither listing cancellable', async (t) => {
  const { url } = await startStack(t)
  const answer = await call(url, `/orders/${duplicateNewFirst.safeId}/items`)
  t.same(answer.body.items?.map((item) => [item.itemId, item.cancellable]), [
    [duplicateNewFirst.items.listedNew, false],
    [duplicateNewFirst.items.listedShipped, false],
    [duplicateNewFirst.items.new, true]
  ])
})
