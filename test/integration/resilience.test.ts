import t from 'tap'
import { Pool } from 'undici'
import { SEED } from '../../src/simulator/seed.js'
import { checkAnswer, checkedFetch } from '../helpers/contract.js'
import { eventually } from '../helpers/eventually.js'
import { rawClient } from '../helpers/raw-http.js'
import { call, cancelPath, startStack } from '../helpers/stack.js'

const { demo } = SEED
const itemsPath = `/orders/${demo.safeId}/items`

t.test('Retry-After: 1 from Gooten is honoured before the next lookup', async (t) => {
  const { url, sim } = await startStack(t)
  sim.enqueueFault({ kind: 'status', op: 'getOrder', status: 503, retryAfter: '1' })
  const answer = await call(url, itemsPath)
  t.equal(answer.status, 200)
  const lookups = sim.calls.filter((c) => c.op === 'getOrder')
  t.equal(lookups.length, 2)
  t.ok((lookups[1]?.at ?? 0) - (lookups[0]?.at ?? 0) >= 950, 'waited about the second Gooten asked for')
})

t.test('Retry-After given as an HTTP date is honoured too: a date past the deadline means no retry', async (t) => {
  // A 429 without a usable Retry-After is retried after a short backoff; one whose date lies past the
  // request's 8 s deadline is not retried at all, and the wait it names is passed on.
  const { url, sim } = await startStack(t)
  sim.enqueueFault({ kind: 'status', op: 'getOrder', status: 429, retryAfter: new Date(Date.now() + 30_000).toUTCString() })
  const answer = await call(url, itemsPath)
  t.equal(answer.status, 503)
  t.equal(answer.body.code, 'UPSTREAM_UNAVAILABLE')
  t.equal(sim.callCount('getOrder'), 1, 'no retry before the date')
  const wait = Number(answer.headers.get('retry-after'))
  // The date has a one-second resolution, and the answer took some time.
  t.ok(wait >= 25 && wait <= 31, `the date's wait passed on (${wait} s)`)
})

t.test('Retry-After: 120 does not fit the deadline: 503 at once, passing the wait on', async (t) => {
  const { url, sim } = await startStack(t)
  sim.enqueueFault({ kind: 'status', op: 'getOrder', status: 503, retryAfter: '120' })
  const answer = await call(url, itemsPath)
  t.equal(answer.status, 503)
  t.equal(answer.body.code, 'UPSTREAM_UNAVAILABLE')
  t.equal(answer.headers.get('retry-after'), '60', 'capped at a minute')
  t.equal(sim.callCount('getOrder'), 1, 'no retry')
})

t.test('an absurd Retry-After from Gooten reaches callers as a minute at most', async (t) => {
  const { url, sim } = await startStack(t)
  for (const retryAfter of ['999999999', 'Sun, 01 Jan 2999 00:00:00 GMT']) {
    sim.enqueueFault({ kind: 'status', op: 'getOrder', status: 503, retryAfter })
    const answer = await call(url, itemsPath)
    t.equal(answer.status, 503)
    t.equal(answer.headers.get('retry-after'), '60', retryAfter)
  }
})

t.test('retry budget: with Gooten answering only 503, upstream calls stay under 1.2 × inbound', async (t) => {
  // The circuit is held closed so that only the budget limits retries.
  const { url, sim } = await startStack(t, { env: { CIRCUIT_FAILURE_THRESHOLD: '1000' } })
  sim.enqueueFault({ kind: 'status', op: 'getOrder', status: 503, times: -1 })
  const inbound = 200
  const pool = new Pool(url, { connections: 10 })
  t.teardown(async () => await pool.close())
  let next = 0
  const statuses: number[] = []
  await Promise.all(Array.from({ length: 10 }, async () => {
    while (next < inbound) {
      next++
      const response = await pool.request({ path: itemsPath, method: 'GET' })
      statuses.push(response.statusCode)
      checkAnswer({ method: 'GET', path: itemsPath, status: response.statusCode, headers: response.headers, text: await response.body.text() })
    }
  }))
  t.equal(statuses.length, inbound)
  t.ok(statuses.every((status) => status === 503))
  const upstream = sim.callCount('getOrder')
  t.ok(upstream <= 1.2 * inbound, `${upstream} upstream calls for ${inbound} inbound`)
  t.ok(upstream > inbound, 'some retries were still made')
})

t.test('bulkhead: never more sockets at Gooten than the cap; overflow answered 503 before the slow calls end', async (t) => {
  const { url, sim } = await startStack(t, { env: { UPSTREAM_MAX_IN_FLIGHT: '8', UPSTREAM_QUEUE_LIMIT: '4', UPSTREAM_TIMEOUT_MS: '10000' } })
  sim.enqueueFault({ kind: 'delay', op: 'getOrder', ms: 2000, times: -1 })
  const pool = new Pool(url, { connections: 200 })
  t.teardown(async () => await pool.close())
  const finished: number[] = []
  await Promise.all(Array.from({ length: 200 }, async () => {
    const response = await pool.request({ path: itemsPath, method: 'GET' })
    checkAnswer({ method: 'GET', path: itemsPath, status: response.statusCode, headers: response.headers, text: await response.body.text() })
    finished.push(response.statusCode)
  }))
  t.ok(sim.stats().maxOpenConnections <= 8, `at most 8 sockets at Gooten (saw ${sim.stats().maxOpenConnections})`)
  const ok = finished.filter((status) => status === 200).length
  const shed = finished.filter((status) => status === 503).length
  t.equal(ok + shed, 200)
  t.ok(ok >= 8 && ok <= 12, `${ok} served: the cap plus the queue`)
  const firstSuccess = finished.indexOf(200)
  t.ok(finished.slice(firstSuccess).every((status) => status === 200), 'every 503 came before the first slow answer')
})

t.test('50 concurrent identical cancels produce exactly one upstream cancel', async (t) => {
  const { url, sim } = await startStack(t)
  const answers = await Promise.all(Array.from({ length: 50 }, async () =>
    await call(url, cancelPath(demo.safeId), { body: { itemIds: [demo.items.new] } })))
  t.equal(sim.callCount('cancelItems'), 1)
  t.ok(answers.every((answer) => answer.status === 200 && answer.body.outcome === 'cancelled'))
  const results = answers.map((answer) => answer.body.items?.[0]?.result)
  t.equal(results.filter((result) => result === 'cancelled').length, 1)
  t.equal(results.filter((result) => result === 'already_cancelled').length, 49)
})

t.test('the same order named by its Safe Order ID and by its numeric id at once: one upstream cancel', async (t) => {
  const { url, sim } = await startStack(t)
  // The first cancel call is held at Gooten while the second request reads the order (item still New).
  sim.enqueueFault({ kind: 'delay', op: 'cancelItems', ms: 2000 })
  const first = call(url, cancelPath(demo.safeId), { body: { itemIds: [demo.items.new] } })
  await eventually('the first cancel call to reach Gooten', () => sim.callCount('cancelItems') === 1)
  const second = call(url, cancelPath(String(demo.gootenId)), { body: { itemIds: [demo.items.new] } })
  await eventually('the second request to read the order', () => sim.callCount('getOrder') === 2)
  t.equal(sim.cancelsApplied, 0, 'the second read the order before the first cancel was applied')
  const [bySafeId, byNumericId] = await Promise.all([first, second])
  t.equal(sim.callCount('cancelItems'), 1, 'the second read the order again after waiting, and had nothing left to forward')
  t.equal(bySafeId.status, 200)
  t.equal(byNumericId.status, 200)
  t.same([bySafeId.body.items?.[0]?.result, byNumericId.body.items?.[0]?.result], ['cancelled', 'already_cancelled'])
})

t.test('circuit: opens after consecutive failures, fails fast, then one trial call closes it', async (t) => {
  const { url, sim } = await startStack(t, { env: { CIRCUIT_FAILURE_THRESHOLD: '5', CIRCUIT_OPEN_MS: '400' } })
  sim.enqueueFault({ kind: 'status', op: 'getOrder', status: 500, times: 5 })
  for (let i = 0; i < 5; i++) t.equal((await call(url, itemsPath)).status, 503)
  t.equal(sim.callCount('getOrder'), 5)
  const metrics = await (await checkedFetch(`${url}/metrics`)).text()
  t.match(metrics, /gooten_upstream_circuit_state\{state="open"\} 1/)
  const fast = await call(url, itemsPath)
  t.equal(fast.status, 503)
  t.equal(fast.body.code, 'UPSTREAM_UNAVAILABLE')
  t.equal(sim.callCount('getOrder'), 5, 'the open circuit made no call')
  t.equal((await call(url, '/health/ready')).status, 503)

  // Readiness turns 200 again when the pause is over: then the next call is the trial.
  await eventually('the circuit\'s pause to end', async () => (await call(url, '/health/ready')).status === 200)
  const trials = await Promise.all([call(url, itemsPath), call(url, itemsPath)])
  t.same(trials.map((answer) => answer.status).sort(), [200, 503], 'one trial call, the other still shed')
  t.equal(sim.callCount('getOrder'), 6)
  t.equal((await call(url, itemsPath)).status, 200, 'closed again')
  t.equal((await call(url, '/health/ready')).status, 200)
})

t.test('keep-alive: a socket Gooten closed while idle is not an error', async (t) => {
  const { url, sim } = await startStack(t, { sim: { keepAliveTimeoutMs: 50 } })
  t.equal((await call(url, itemsPath)).status, 200)
  await eventually('the simulator to close the idle socket', () => sim.stats().openConnections === 0)
  t.equal((await call(url, itemsPath)).status, 200)
  sim.enqueueFault({ kind: 'close-keepalive', op: 'getOrder' })
  t.equal((await call(url, itemsPath)).status, 200)
  t.equal((await call(url, itemsPath)).status, 200)
  t.equal(sim.callCount('getOrder'), 4, 'no call failed and had to be retried')
})

t.test('a caller hanging up does not lift the deadline: no late cancel reaches Gooten', async (t) => {
  const { url, sim, logs } = await startStack(t, { env: { UPSTREAM_TIMEOUT_MS: '600' } })
  // The lookup answers only after the deadline; had the deadline gone with the caller, the cancel would follow.
  sim.enqueueFault({ kind: 'delay', op: 'getOrder', ms: 1200 })
  const hangUp = new AbortController()
  const request = fetch(`${url}${cancelPath(demo.safeId)}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ itemIds: [demo.items.new] }),
    signal: hangUp.signal
  })
  await eventually('the lookup to reach Gooten', () => sim.callCount('getOrder') === 1)
  hangUp.abort()
  await t.rejects(request, 'the caller gave up')
  // The audit line is written once the request's work is over, whatever its end.
  await eventually('the cancel to end', () => logs.find('cancel audit').length === 1)
  t.match(logs.find('cancel audit')[0], { outcome: 'UPSTREAM_TIMEOUT' })
  await eventually('the simulator to see the lookup dropped', () => sim.stats().abortedRequests === 1)
  t.equal(sim.callCount('getOrder'), 1)
  t.equal(sim.callCount('cancelItems'), 0, 'the deadline still ended the work')
  const items = await call(url, itemsPath)
  t.equal(items.body.items?.find((item) => item.itemId === demo.items.new)?.status, 'New', 'the item is not cancelled')
})

t.test('pipelined requests on a connection that dies do not hold up a graceful drain', async (t) => {
  const { url, sim, app } = await startStack(t)
  sim.enqueueFault({ kind: 'delay', op: 'getOrder', ms: 200 })
  const get = (path: string): string => `GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`
  // The read waits for Gooten; the two behind it are queued on the same connection when it dies.
  const client = rawClient(url, get(itemsPath) + get('/health/live') + get('/health/live'))
  await eventually('the read to reach Gooten', () => sim.callCount('getOrder') === 1)
  client.socket.destroy()
  const drained = await Promise.race([
    app.readiness.drain().then(() => 'drained'),
    new Promise((resolve) => setTimeout(resolve, 5000, 'still waiting'))
  ])
  t.equal(drained, 'drained', 'nothing is counted in flight any more')
})
