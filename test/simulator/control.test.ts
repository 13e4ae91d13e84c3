import t from 'tap'
import { startSimulator } from '../../src/simulator/server.js'
import { SEED, item, order } from '../../src/simulator/seed.js'
import { cancel, get, orderUrl, post, raw } from './helpers.js'

const sim = await startSimulator()
t.teardown(() => sim.close())
t.beforeEach(() => sim.reset())

const { demo } = SEED

t.test('POST /__sim/faults queues a fault or an array; GET lists them', async t => {
  const one = await post(`${sim.url}/__sim/faults`, { kind: 'status', status: 500 })
  t.same(one.body, { ok: true, queued: 1 })
  const many = await post(`${sim.url}/__sim/faults`, [{ kind: 'hang', op: 'getOrder', times: -1 }, { kind: 'refuse', itemIds: [1] }])
  t.same(many.body, { ok: true, queued: 2 })
  const list = await get(`${sim.url}/__sim/faults`)
  t.same(list.body.faults, [
    { kind: 'status', status: 500, times: 1 },
    { kind: 'hang', op: 'getOrder', times: -1 },
    { kind: 'refuse', itemIds: [1], times: 1, op: 'cancelItems' }
  ])
  t.equal((await cancel(sim, demo.gootenId, [demo.items.new])).status, 500)
})

t.test('POST /__sim/faults rejects bad input with 400 and queues nothing', async t => {
  const invalid = await post(`${sim.url}/__sim/faults`, [{ kind: 'hang' }, { kind: 'status', status: 42 }])
  t.equal(invalid.status, 400)
  t.match(invalid.body.error, /fault.status/)
  const notJson = await raw(`${sim.url}/__sim/faults`, { method: 'POST', body: '{nope' })
  t.equal(notJson.status, 400)
  t.match(JSON.parse(notJson.text).error, /must be JSON/)
  t.same(sim.pendingFaults(), [])
})

t.test('POST /__sim/reset restores seeds, clears faults, calls and stats', async t => {
  await cancel(sim, demo.gootenId, [demo.items.new])
  sim.enqueueFault({ kind: 'hang', times: -1 })
  t.equal(sim.cancelsApplied, 1)
  const res = await post(`${sim.url}/__sim/reset`, {})
  t.same(res.body, { ok: true })
  t.equal(sim.cancelsApplied, 0)
  t.same(sim.calls, [])
  t.equal(sim.callCount(), 0)
  t.same(sim.pendingFaults(), [])
  t.equal(sim.order(demo.safeId)?.Items[0]?.Status, 'New')
})

t.test('GET /__sim/calls and /__sim/stats', async t => {
  await get(orderUrl(sim, demo.safeId))
  await cancel(sim, demo.gootenId, [demo.items.new])
  await get(`${sim.url}/nope?x=1`)
  const calls = await get(`${sim.url}/__sim/calls`)
  t.same(calls.body.counts, { getOrder: 1, cancelItems: 1, other: 1 })
  t.match(calls.body.calls, [
    { op: 'getOrder', method: 'GET', path: '/api/v/5/source/api/orders', orderId: demo.safeId, at: Number },
    { op: 'cancelItems', method: 'PUT', path: '/api/orderCancel', orderId: String(demo.gootenId), itemIds: [demo.items.new] },
    { op: 'other', method: 'GET', path: '/nope' }
  ])
  const stats = await get(`${sim.url}/__sim/stats`)
  t.match(stats.body, { openConnections: Number, maxOpenConnections: Number, abortedRequests: 0, cancelsApplied: 1 })
  t.ok(stats.body.openConnections >= 1)
})

t.test('POST /__sim/orders adds an order; GET /__sim/orders/:id reads it', async t => {
  const doc = order('5-00000000-0000-4000-8000-000000000001', 777001, [item(7770011, 'Hold')])
  const added = await post(`${sim.url}/__sim/orders`, doc)
  t.equal(added.status, 201)
  t.same(added.body, { ok: true, Id: doc.Id, GootenId: 777001 })
  t.same((await get(orderUrl(sim, '777001'))).body, doc)
  t.same((await get(`${sim.url}/__sim/orders/${encodeURIComponent(doc.Id)}`)).body, doc)
  t.same((await get(`${sim.url}/__sim/orders/777001`)).body, doc)
  t.same((await cancel(sim, 777001, [7770011])).body.Success, [7770011])
  t.equal((await get(`${sim.url}/__sim/orders/777001`)).body.Items[0].Status, 'Cancelled', 'current state')

  const missing = await get(`${sim.url}/__sim/orders/nope`)
  t.equal(missing.status, 404)
  t.same(missing.body, { error: 'no order nope' })
  const malformed = await get(`${sim.url}/__sim/orders/%E0%A4%A`)
  t.equal(malformed.status, 400)

  const badJson = await raw(`${sim.url}/__sim/orders`, { method: 'POST', body: 'x' })
  t.equal(badJson.status, 400)
  t.match(JSON.parse(badJson.text).error, /JSON order document/)
  const badDoc = await post(`${sim.url}/__sim/orders`, { Id: 'x' })
  t.equal(badDoc.status, 400)
  t.same(badDoc.body, { error: 'order.Items must be an array of objects' })
})

t.test('/__sim/fresh-order creates a new cancellable order each call', async t => {
  const a = await get(`${sim.url}/__sim/fresh-order`)
  const b = await raw(`${sim.url}/__sim/fresh-order`, { method: 'POST' })
  const docB = JSON.parse(b.text)
  t.equal(a.status, 200)
  t.not(a.body.GootenId, docB.GootenId)
  t.match(a.body.Id, /^\d+-[0-9a-f-]{36}$/)
  const ids = (doc: any): number[] => doc.Items.map((i: any) => i.Images[0].OrderItemId)
  t.same(a.body.Items.map((i: any) => i.Status), ['New', 'New'])
  t.equal(new Set([...ids(a.body), ...ids(docB)]).size, 4)
  t.same((await cancel(sim, a.body.GootenId, ids(a.body))).body.Success, ids(a.body))
  t.equal((await get(orderUrl(sim, a.body.Id))).status, 200)
  const js = sim.freshOrder()
  t.ok(js.GootenId as number > docB.GootenId)
})

t.test('/__sim/large-order creates a very large order of New items, answered by its ids', async t => {
  const res = await raw(`${sim.url}/__sim/large-order`, { method: 'POST', body: '{"items":3000}', headers: { 'content-type': 'application/json' } })
  t.equal(res.status, 201)
  const summary = JSON.parse(res.text)
  t.equal(summary.ItemIds.length, 3000)
  t.equal(new Set(summary.ItemIds).size, 3000)
  const lookedUp = await get(orderUrl(sim, summary.Id))
  t.equal(lookedUp.body.Items.length, 3000)
  t.equal(lookedUp.body.GootenId, summary.GootenId)
  t.same((await cancel(sim, summary.GootenId, summary.ItemIds.slice(0, 2))).body.Success, summary.ItemIds.slice(0, 2))
  const next = sim.largeOrder(1)
  t.equal(next.GootenId, summary.GootenId + 1, 'ids never handed out before')
  t.notOk(next.ItemIds.some((id: number) => summary.ItemIds.includes(id)))
  for (const body of ['{"items":0}', '{"items":50001}', '{"items":1.5}', '{}', 'null', 'not json']) {
    const refused = await raw(`${sim.url}/__sim/large-order`, { method: 'POST', body, headers: { 'content-type': 'application/json' } })
    t.equal(refused.status, 400, body)
    t.same(JSON.parse(refused.text), { error: 'items must be an integer from 1 to 50000' })
  }
})

t.test('control routes: wrong method 405, unknown 404, bodies consumed', async t => {
  const cases: Array<[string, string]> = [
    ['GET', '/__sim/reset'],
    ['DELETE', '/__sim/faults'],
    ['POST', '/__sim/calls'],
    ['POST', '/__sim/stats'],
    ['GET', '/__sim/orders'],
    ['DELETE', '/__sim/fresh-order'],
    ['GET', '/__sim/large-order'],
    ['POST', `/__sim/orders/${demo.safeId}`]
  ]
  for (const [method, path] of cases) {
    const res = await raw(`${sim.url}${path}`, { method, body: '{"x":1}', headers: { 'content-type': 'application/json' } })
    t.equal(res.status, 405, `${method} ${path}`)
    t.same(JSON.parse(res.text), { error: `${method} not allowed on ${path}` })
  }
  const unknown = await get(`${sim.url}/__sim/nothing`)
  t.equal(unknown.status, 404)
  t.same(unknown.body, { error: 'unknown control route' })
  t.equal(sim.callCount(), 0, 'control routes are not Gooten calls')
})
