import t from 'tap'
import type { Socket } from 'node:net'
import { Agent } from 'node:http'
import { startSimulator } from '../../src/simulator/server.js'
import type { Simulator } from '../../src/simulator/server.js'
import { FaultError } from '../../src/simulator/faults.js'
import { SEED, item, order } from '../../src/simulator/seed.js'
import { eventually } from '../helpers/eventually.js'
import { rawClient } from '../helpers/raw-http.js'
import { cancel, cancelUrl, creds, get, orderUrl, raw } from './helpers.js'

const { demo } = SEED

/** A raw connection (the tests' one helper), for requests node's own client will not send. */
async function tcp (sim: Simulator, text: string): Promise<{ socket: Socket, closed: Promise<string> }> {
  const client = rawClient(sim.url, text)
  await client.connected
  return { socket: client.socket, closed: client.closed.then(() => client.received()) }
}

const cancelHead = (sim: Simulator, framing: string): string =>
  `PUT /api/orderCancel?orderId=${demo.gootenId}&${creds(sim)} HTTP/1.1\r\nHost: sim\r\nContent-Type: application/json\r\n${framing}\r\n\r\n`

t.test('defaults and the url', async t => {
  const sim = await startSimulator()
  t.teardown(() => sim.close())
  t.match(sim.url, /^http:\/\/127\.0\.0\.1:\d+$/)
  t.equal(sim.url, `http://127.0.0.1:${sim.port}`)
  t.equal(sim.recipeId, 'sim-recipe-id')
  t.equal(sim.partnerBillingKey, 'sim+billing/key==')
})

t.test('an IPv6 host is bracketed in the url', async t => {
  const sim = await startSimulator({ host: '::1' })
  t.teardown(() => sim.close())
  t.equal(sim.url, `http://[::1]:${sim.port}`)
  t.equal((await get(orderUrl(sim, demo.safeId))).status, 200)
})

t.test('a port in use rejects', async t => {
  const sim = await startSimulator()
  t.teardown(() => sim.close())
  await t.rejects(startSimulator({ port: sim.port }), { code: 'EADDRINUSE' })
})

t.test('stats count open sockets, the high-water mark and aborted requests', async t => {
  const sim = await startSimulator()
  t.teardown(() => sim.close())
  t.same(sim.stats(), { openConnections: 0, maxOpenConnections: 0, abortedRequests: 0 })
  sim.enqueueFault({ kind: 'hang', times: 3 })
  const controllers = [new AbortController(), new AbortController(), new AbortController()]
  const pending = controllers.map(ac => raw(orderUrl(sim, demo.safeId), { signal: ac.signal }))
  await eventually('sim.callCount(\'getOrder\') === 3', () => sim.callCount('getOrder') === 3)
  t.same(sim.stats(), { openConnections: 3, maxOpenConnections: 3, abortedRequests: 0 })
  controllers[0]?.abort()
  await t.rejects(pending[0] as Promise<unknown>)
  await eventually('sim.stats().openConnections === 2', () => sim.stats().openConnections === 2)
  t.same(sim.stats(), { openConnections: 2, maxOpenConnections: 3, abortedRequests: 1 })
  sim.reset()
  t.same(sim.stats(), { openConnections: 2, maxOpenConnections: 2, abortedRequests: 0 }, 'reset: high-water mark restarts from the open count')
  for (const ac of controllers.slice(1)) ac.abort()
  await Promise.allSettled(pending)
  await eventually('sim.stats().openConnections === 0', () => sim.stats().openConnections === 0)
  t.same(sim.stats(), { openConnections: 0, maxOpenConnections: 2, abortedRequests: 2 })
})

t.test('keepAliveTimeoutMs closes idle kept-alive sockets', async t => {
  const sim = await startSimulator({ keepAliveTimeoutMs: 50 })
  t.teardown(() => sim.close())
  const agent = new Agent({ keepAlive: true })
  t.teardown(() => agent.destroy())
  t.equal((await raw(orderUrl(sim, demo.safeId), { agent })).status, 200)
  t.equal(sim.stats().openConnections, 1)
  await eventually('sim.stats().openConnections === 0', () => sim.stats().openConnections === 0)
  t.equal(sim.stats().openConnections, 0)
})

// Without close() ending them, the hang and the minute-long delay would outlast this timeout.
t.test('close() ends hanging and delayed requests and resolves; calling it again is harmless', { timeout: 10_000 }, async t => {
  const sim = await startSimulator()
  sim.enqueueFault([{ kind: 'hang', op: 'getOrder' }, { kind: 'delay', ms: 60_000, op: 'cancelItems' }])
  const hanging = raw(orderUrl(sim, demo.safeId))
  const delayed = raw(cancelUrl(sim, demo.gootenId), { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{"Ids":[6924457]}' })
  // The cancel's ids are recorded once its body is read, just before its delay starts.
  await eventually('sim.callCount(\'getOrder\') === 1 && sim.calls.some(c => c.itemIds !== undefined)', () => sim.callCount('getOrder') === 1 && sim.calls.some(c => c.itemIds !== undefined))
  const closing = sim.close()
  t.equal(sim.close(), closing, 'the same promise')
  await closing
  await t.rejects(hanging)
  await t.rejects(delayed)
  t.equal(sim.cancelsApplied, 0)
  t.equal(sim.stats().openConnections, 0)
})

t.test('request bodies: chunked bodies are read; oversized bodies destroy the socket', async t => {
  const sim = await startSimulator({ maxBodyBytes: 100 })
  t.teardown(() => sim.close())
  const body = JSON.stringify({ Ids: [demo.items.new] })
  const chunked = await tcp(sim, cancelHead(sim, 'Transfer-Encoding: chunked') +
    `${(body.length).toString(16)}\r\n${body}\r\n0\r\n\r\n`)
  await eventually('sim.cancelsApplied === 1', () => sim.cancelsApplied === 1)
  t.equal(sim.cancelsApplied, 1, 'chunked cancel applied')
  chunked.socket.end()
  t.match(await chunked.closed, /^HTTP\/1\.1 200 OK/)

  const declared = await tcp(sim, cancelHead(sim, 'Content-Length: 101'))
  t.equal(await declared.closed, '', 'declared too large: dropped without an answer')

  const big = `{"Ids":[${'1,'.repeat(60)}1]}`
  const streamed = await tcp(sim, cancelHead(sim, 'Transfer-Encoding: chunked') + `${big.length.toString(16)}\r\n${big}\r\n`)
  t.equal(await streamed.closed, '', 'streamed too large: dropped')
  t.equal(sim.stats().abortedRequests, 0, 'our own drops are not aborts')

  const lookup = await tcp(sim, `GET /api/v/5/source/api/orders?id=${demo.gootenId}&recipeid=${sim.recipeId} HTTP/1.1\r\nHost: sim\r\nContent-Length: 500\r\n\r\n`)
  t.equal(await lookup.closed, '', 'lookups have the same limit')
  const control = await tcp(sim, 'POST /__sim/faults HTTP/1.1\r\nHost: sim\r\nContent-Length: 500\r\n\r\n')
  t.equal(await control.closed, '', 'control routes have the same limit')
  const otherPath = await tcp(sim, 'POST /nowhere HTTP/1.1\r\nHost: sim\r\nContent-Length: 500\r\n\r\n')
  t.equal(await otherPath.closed, '', 'so do unknown paths')
  t.equal(sim.callCount('cancelItems'), 3)
  t.equal(sim.cancelsApplied, 1)
})

t.test('a client leaving mid-body counts as aborted; nothing applied', async t => {
  const sim = await startSimulator()
  t.teardown(() => sim.close())
  const partial = await tcp(sim, cancelHead(sim, 'Content-Length: 100') + '{"Ids":[')
  await eventually('sim.callCount(\'cancelItems\') === 1', () => sim.callCount('cancelItems') === 1)
  partial.socket.destroy()
  await eventually('sim.stats().abortedRequests === 1', () => sim.stats().abortedRequests === 1)
  t.equal(sim.stats().abortedRequests, 1)
  t.equal(sim.cancelsApplied, 0)
  t.notOk('itemIds' in (sim.calls[0] as object))
})

t.test('order() and addOrder() work on deep copies; addOrder replaces by Id and GootenId', async t => {
  const sim = await startSimulator()
  t.teardown(() => sim.close())
  const snapshot = sim.order(demo.safeId)
  t.equal(snapshot?.GootenId, demo.gootenId)
  ;(snapshot?.Items[0] as { Status: string }).Status = 'Shipped'
  t.equal(sim.order(String(demo.gootenId))?.Items[0]?.Status, 'New', 'mutating a snapshot changes nothing')
  t.equal(sim.order('nope'), undefined)
  t.equal(sim.order('123'), undefined)

  const input = order(demo.safeId, 600000, [item(6000001, 'New')])
  sim.addOrder(input)
  ;(input.Items[0] as { Status: string }).Status = 'Shipped'
  t.equal(sim.order(demo.safeId)?.Items[0]?.Status, 'New', 'stored as a copy')
  t.equal(sim.order(String(demo.gootenId)), undefined, 'the old GootenId is gone with the replaced order')
  t.equal(sim.order('600000')?.Id, demo.safeId)
  sim.addOrder(order('8-new', 600000, []))
  t.equal(sim.order(demo.safeId), undefined, 'replaced through its GootenId')
  t.equal(sim.order('600000')?.Id, '8-new')
  sim.addOrder(order('8-no-gooten-id', undefined, []))
  t.equal(sim.order('8-no-gooten-id')?.GootenId, undefined)

  t.throws(() => sim.addOrder({ Id: '' } as never), TypeError)
  t.throws(() => sim.enqueueFault({ kind: 'nope' } as never), FaultError)
  sim.reset()
  t.equal(sim.order(demo.safeId)?.GootenId, demo.gootenId, 'reset restores the seed')
})

t.test('a handler that throws answers 500 instead of crashing', async t => {
  const sim = await startSimulator()
  t.teardown(() => sim.close())
  sim.addOrder({ Id: '8-bigint', GootenId: 800001, Items: [], Meta: { n: 1n } })
  const res = await get(orderUrl(sim, '8-bigint'))
  t.equal(res.status, 500)
  t.same(res.body, { Message: 'An error has occurred.' })
  const control = await get(`${sim.url}/__sim/orders/8-bigint`)
  t.equal(control.status, 500)
  sim.enqueueFault({ kind: 'status', status: 503, retryAfter: 'bad\nvalue' })
  t.equal((await cancel(sim, demo.gootenId, [demo.items.new])).status, 500, 'an unsendable header')
  t.equal((await get(`${sim.url}/nope`)).status, 404, 'still serving')
})

t.test('calls are capped at maxCalls; counts stay exact', async t => {
  const sim = await startSimulator({ maxCalls: 10 })
  t.teardown(() => sim.close())
  for (let i = 1; i <= 12; i++) await get(`${sim.url}/other/${i}`)
  t.equal(sim.callCount(), 12)
  t.equal(sim.calls.length, 10)
  t.equal(sim.calls[0]?.path, '/other/3')
  t.equal(sim.calls.at(-1)?.path, '/other/12')
})

t.test('fresh orders beyond maxFreshOrders are dropped, oldest first', async t => {
  const sim = await startSimulator({ maxFreshOrders: 2 })
  t.teardown(() => sim.close())
  const [a, b, c] = [sim.freshOrder(), sim.freshOrder(), sim.freshOrder()]
  t.equal(sim.order(a.Id), undefined)
  t.equal(sim.order(String(a.GootenId)), undefined)
  t.equal(sim.order(b.Id)?.GootenId, b.GootenId)
  t.equal(sim.order(c.Id)?.GootenId, c.GootenId)
  t.equal((await get(orderUrl(sim, c.Id))).status, 200)
  t.equal((await raw(cancelUrl(sim, a.GootenId as number), { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{"Ids":[1]}' })).status, 404)
  sim.reset()
  t.equal(sim.freshOrder().GootenId, a.GootenId, 'reset restarts fresh ids')
})
