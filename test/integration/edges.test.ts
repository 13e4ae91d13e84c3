import { randomBytes } from 'node:crypto'
import { request as httpRequest } from 'node:http'
import { Redis } from 'ioredis'
import t from 'tap'
import { item, order, SEED } from '../../src/simulator/seed.js'
import { startSimulator } from '../../src/simulator/server.js'
import { checkedFetch } from '../helpers/contract.js'
import { eventually } from '../helpers/eventually.js'
import { listeningUrl, runServer, type ServerProcess } from '../helpers/process.js'
import { redisForTest } from '../helpers/redis.js'
import { processEnv, TEST_BILLING_KEY, TEST_RECIPE_ID } from '../helpers/stack.js'

// The edges of the promises, against two real service processes sharing a real Redis and one
// Gooten simulator: one odd order, a secret sent as an order id, a caller who hangs up, an order
// that lists an item twice, a refusal whose text holds digits, and the size of what Redis keeps.
const { demo, mixed, variants, numericOnly, poisonStatus, duplicateNewFirst, duplicateShippedFirst } = SEED

const key = (name: string): string => `${name}-key-0123456789abcdef`
// A caller key as `openssl rand -hex 32` makes it: 64 hex characters, which fit the order id pattern.
const HEX_KEY = randomBytes(32).toString('hex')
const API_KEYS = [`edge:${key('edge')}`, `support:${key('support')}:ro`, `hexcaller:${HEX_KEY}`].join(',')
const as = (name: string): Record<string, string> => ({ authorization: `Bearer ${key(name)}` })
const CANCEL_ROUTE = '/orders/:orderId/items/cancel'

interface Answer { status: number, body: Record<string, unknown> & { items?: Array<Record<string, unknown>> } }

async function get (url: string, path: string, headers: Record<string, string>): Promise<Answer> {
  const response = await checkedFetch(`${url}${path}`, { headers })
  return { status: response.status, body: await response.json() as Answer['body'] }
}

async function cancel (url: string, orderId: string, itemIds: number[], headers: Record<string, string> = as('edge')): Promise<Answer> {
  const response = await checkedFetch(`${url}/orders/${orderId}/items/cancel`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ itemIds })
  })
  return { status: response.status, body: await response.json() as Answer['body'] }
}

const lines = (replica: ServerProcess): Array<Record<string, unknown>> =>
  replica.stdout.flatMap((line) => { try { return [JSON.parse(line) as Record<string, unknown>] } catch { return [] } })

async function requestsCounted (url: string, status: number): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text()
  const line = text.split('\n').find((l) => l.startsWith(`http_requests_total{method="POST",route="${CANCEL_ROUTE}",status="${status}"}`))
  return line === undefined ? 0 : Number(line.split(' ')[1])
}

t.test('two replicas on one Redis, at the edges', async (t) => {
  const redis = await redisForTest(t)
  const sim = await startSimulator({ recipeId: TEST_RECIPE_ID, partnerBillingKey: TEST_BILLING_KEY })
  t.teardown(async () => await sim.close())
  // A generous deadline: megabytes of order travel between processes on a machine that may be busy.
  const env = processEnv(sim.url, { REDIS_URL: redis.url, API_KEYS, LOG_LEVEL: 'info', RATE_LIMIT_PER_MINUTE: '1000', UPSTREAM_TIMEOUT_MS: '30000' })
  const replicas = [runServer(env), runServer(env)]
  t.teardown(() => { for (const replica of replicas) replica.child.kill('SIGKILL') })
  // Two processes compiling the service at once: give them longer than one.
  const urls = await Promise.all(replicas.map(async (replica) => await listeningUrl(replica, { withinMs: 180_000 })))

  t.test('five reads of an order Gooten serves but we cannot use, per replica: that order gets 502, the service stays ready', async (t) => {
    sim.reset()
    const large = sim.largeOrder(5000)
    for (const url of urls) {
      // Over the 6 MiB read: the simulator answers this one lookup with 17 MiB.
      sim.enqueueFault({ kind: 'huge', op: 'getOrder' })
      const tooLarge = await get(url, `/orders/${numericOnly.safeId}/items`, as('support'))
      t.equal(tooLarge.status, 502)
      t.equal(tooLarge.body.code, 'ORDER_UNREADABLE')
      t.match(tooLarge.body.detail, /over 6 MiB/)
      for (let read = 0; read < 5; read++) {
        const answer = await get(url, `/orders/${poisonStatus.safeId}/items`, as('support'))
        t.equal(answer.status, 502)
        t.equal(answer.body.code, 'ORDER_UNREADABLE')
        t.match(answer.body.detail, /an item without a status/)
      }
      const big = await get(url, `/orders/${large.Id}/items`, as('support'))
      t.equal(big.status, 200, 'a 5,000-item order is read')
      t.equal(big.body.items?.length, 5000)
    }
    t.equal(sim.calls.filter((call) => call.op === 'getOrder' && call.orderId === poisonStatus.safeId).length, 2, 'each replica fetched the odd order once and remembered it')
    for (const url of urls) t.equal((await checkedFetch(`${url}/health/ready`)).status, 200, 'ready')
    const cancels = await Promise.all(urls.map(async (url, i) => await cancel(url, demo.safeId, [i === 0 ? demo.items.new : demo.items.hold])))
    t.same(cancels.map((answer) => answer.status), [200, 200], 'other orders\' cancels go through on both replicas')
    t.equal((await cancel(urls[0] as string, large.Id, large.ItemIds.slice(0, 100))).body.outcome, 'cancelled', 'and so do the large order\'s')
  })

  t.test('a secret sent as an order id is refused before any upstream call, and never logged', async (t) => {
    sim.reset()
    for (const [url, secret] of [[urls[0], HEX_KEY], [urls[1], TEST_RECIPE_ID]] as Array<[string, string]>) {
      for (const answer of [await cancel(url, secret, [demo.items.new]), await get(url, `/orders/${secret}/items`, as('edge'))]) {
        t.equal(answer.status, 400)
        t.equal(answer.body.code, 'VALIDATION_FAILED')
        t.same(answer.body.errors, [{ path: '/params/orderId', message: 'must not hold a credential' }])
      }
    }
    t.equal(sim.callCount(), 0, 'Gooten was never called')
    const logged = replicas.map((replica) => replica.stdout.join('\n')).join('\n')
    t.notOk(logged.includes(HEX_KEY), 'no log line holds the caller key')
    t.notOk(logged.includes(TEST_RECIPE_ID), 'nor the recipe id')
  })

  t.test('a caller who hangs up mid-cancel still gets its access line, with its Gooten calls, and its metric: once', async (t) => {
    sim.reset()
    const [url] = urls as [string]
    const replica = replicas[0] as ServerProcess
    const counted = await requestsCounted(url, 200)
    sim.enqueueFault({ kind: 'delay', op: 'cancelItems', ms: 500 })
    const requestId = `hung-up-${Date.now()}`
    const client = httpRequest(`${url}/orders/${demo.safeId}/items/cancel`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': requestId, ...as('edge') }
    })
    client.on('error', () => {})
    client.end(JSON.stringify({ itemIds: [demo.items.new] }))
    await eventually('the cancel call to reach Gooten', () => sim.callCount('cancelItems') === 1)
    client.destroy()
    const finished = (): Array<Record<string, unknown>> => lines(replica).filter((line) => line.reqId === requestId && line.msg === 'request finished')
    await eventually('the access line of the request whose caller hung up', () => finished().length > 0)
    await eventually('its count in /metrics', async () => await requestsCounted(url, 200) === counted + 1)
    // Another request through the same replica, logged after it: any second line would be there by now.
    t.equal((await get(url, `/orders/${mixed.safeId}/items`, as('edge'))).status, 200)
    await eventually('the next access line', () => lines(replica).some((line) => line.msg === 'request finished' && line.route === '/orders/:orderId/items' && line.caller === 'edge'))
    t.equal(finished().length, 1, 'one access line')
    t.match(finished()[0], { route: CANCEL_ROUTE, status: 200, caller: 'edge', callerHungUp: true, upstream: [{ op: 'getOrder', outcome: 'ok' }, { op: 'cancelItems', outcome: 'ok' }] })
    t.equal(await requestsCounted(url, 200), counted + 1, 'counted once')
    t.equal(lines(replica).filter((line) => line.reqId === requestId && line.msg === 'cancel audit').length, 1, 'and audited once')
  })

  t.test('an order that lists one item twice with different statuses: nothing forwarded, the document is called ambiguous', async (t) => {
    sim.reset()
    for (const [url, doubled] of [[urls[0], duplicateNewFirst], [urls[1], duplicateShippedFirst]] as const) {
      const answer = await cancel(url as string, doubled.safeId, [doubled.items.listedNew, doubled.items.new])
      t.equal(answer.status, 409)
      t.equal(answer.body.code, 'ITEMS_NOT_CANCELLABLE')
      t.match(answer.body.detail, /lists 1 of them more than once with different statuses/)
      t.same(answer.body.items, [
        { itemId: doubled.items.listedNew, result: 'failed', previousStatus: null, reason: 'Gooten\'s order lists this item more than once, with different statuses; it cannot be checked, so nothing was forwarded.' },
        { itemId: doubled.items.new, result: 'not_attempted', previousStatus: 'New', reason: 'Not forwarded: another requested item failed a pre-check.' }
      ])
      const listed = await get(url as string, `/orders/${doubled.safeId}/items`, as('edge'))
      t.same(listed.body.items?.map((entry) => entry.cancellable), [false, false, true], 'neither listing shows as cancellable')
    }
    t.equal(sim.callCount('cancelItems'), 0, 'nothing was forwarded')
  })

  t.test('a refusal that names no item, with digits in its text, is verified by a lookup: not taken as a refusal of that number', async (t) => {
    sim.reset()
    sim.addOrder(order('13-0a6e2f5c-1d7b-4c3e-9f10-3b2c1d4e5f99', 520799, [item(2025, 'New'), item(2026, 'New')]))
    sim.enqueueFault({ kind: 'had-error-after-apply', message: 'Cancellation recorded at 2025-01-01 00:00 with warnings.' })
    const headers = { ...as('edge'), 'idempotency-key': 'dated-refusal' }
    const answer = await cancel(urls[0] as string, '520799', [2025], headers)
    t.equal(answer.status, 200)
    t.same(answer.body.items, [{ itemId: 2025, result: 'cancelled', previousStatus: 'New' }])
    t.equal(sim.callCount('getOrder'), 2, 'looked the order up again to see what happened')
    const replayed = await cancel(urls[1] as string, '520799', [2025], headers)
    t.same(replayed, answer, 'and the answer kept under its Idempotency-Key is that one')
  })

  t.test('what Redis keeps for a 100-item refusal: under 1 kB, for an hour', async (t) => {
    sim.reset()
    const itemIds = Array.from({ length: 100 }, (_, i) => 80_000_000 + i)
    const headers = { ...as('edge'), 'idempotency-key': 'hundred-refused' }
    const client = new Redis(redis.url)
    t.teardown(() => client.disconnect())
    const before = new Set(await client.keys('gop:idem:*'))
    const answer = await cancel(urls[0] as string, variants.safeId, itemIds, headers)
    t.equal(answer.status, 422)
    t.same(await cancel(urls[1] as string, variants.safeId, itemIds, headers), answer, 'replayed by the other replica')
    const keys = (await client.keys('gop:idem:*')).filter((stored) => !before.has(stored))
    t.equal(keys.length, 1, 'one record')
    const bytes = await client.strlen(keys[0] as string)
    t.ok(bytes < 1024, `${bytes} bytes kept for a ${JSON.stringify(answer.body).length}-byte answer`)
    const ttl = await client.pttl(keys[0] as string)
    t.ok(ttl > 0 && ttl <= 3600 * 1000, `kept for ${ttl} ms`)
  })
})
