import t from 'tap'
import { SEED } from '../../src/simulator/seed.js'
import { eventually } from '../helpers/eventually.js'
import { RedisServer, redisForTest } from '../helpers/redis.js'
import { call, cancelPath, startStack, type Stack, type Teardown } from '../helpers/stack.js'

const { demo, mixed } = SEED
const KEYS = 'support:support-key-0123456789,dashboard:dashboard-key-0123456789:ro'
const asSupport = { authorization: 'Bearer support-key-0123456789' }
const asDashboard = { authorization: 'Bearer dashboard-key-0123456789' }

// Every test runs twice: with the in-process store and with Redis shared through REDIS_URL.
for (const store of ['memory', 'redis'] as const) {
  t.test(`${store} store`, async (t) => {
    async function stack (t: Teardown, env: Record<string, string> = {}): Promise<Stack> {
      const redisEnv: Record<string, string> = store === 'redis' ? { REDIS_URL: (await redisForTest(t)).url } : {}
      return await startStack(t, { env: { API_KEYS: KEYS, ...redisEnv, ...env } })
    }
    const cancel = async (url: string, key: string, itemIds: number[], headers: Record<string, string> = asSupport, orderId: string = demo.safeId) =>
      await call(url, cancelPath(orderId), { body: { itemIds }, headers: { ...headers, 'idempotency-key': key } })

    t.test('a retried request is answered from the first answer, marked replayed', async (t) => {
      const { url, sim } = await stack(t)
      const first = await cancel(url, 'key-1', [demo.items.new, demo.items.hold])
      t.equal(first.status, 200)
      t.equal(first.headers.get('idempotency-replayed'), null)
      const again = await cancel(url, 'key-1', [demo.items.hold, demo.items.new])
      t.equal(again.status, 200)
      t.equal(again.headers.get('idempotency-replayed'), 'true')
      t.same(again.body, first.body, 'the very same answer, items in the same order as the first time')
      t.equal(sim.callCount('cancelItems'), 1)
      t.equal(sim.callCount('getOrder'), 1, 'the replay made no upstream call at all')
    })

    t.test('the same key for a different request is refused', async (t) => {
      const { url, sim } = await stack(t)
      await cancel(url, 'key-2', [demo.items.new])
      const other = await cancel(url, 'key-2', [demo.items.hold])
      t.equal(other.status, 422)
      t.equal(other.body.code, 'IDEMPOTENCY_KEY_REUSED')
      const dryRun = await call(url, cancelPath(demo.safeId, '?dryRun=true'), { body: { itemIds: [demo.items.new] }, headers: { ...asSupport, 'idempotency-key': 'key-2' } })
      t.equal(dryRun.body.code, 'IDEMPOTENCY_KEY_REUSED', 'dry run is part of the fingerprint')
      t.equal(sim.callCount('cancelItems'), 1)
    })

    t.test('the same key while the first is still running is 409 with Retry-After', async (t) => {
      const { url, sim } = await stack(t)
      sim.enqueueFault({ kind: 'delay', op: 'cancelItems', ms: 500 })
      const first = cancel(url, 'key-3', [demo.items.new])
      await eventually('the cancel call to reach Gooten', () => sim.callCount('cancelItems') > 0)
      const second = await cancel(url, 'key-3', [demo.items.new])
      t.equal(second.status, 409)
      t.equal(second.body.code, 'IDEMPOTENCY_KEY_IN_USE')
      t.equal(second.headers.get('retry-after'), '1')
      t.equal((await first).status, 200)
      t.equal((await cancel(url, 'key-3', [demo.items.new])).headers.get('idempotency-replayed'), 'true')
      t.equal(sim.callCount('cancelItems'), 1)
    })

    t.test('error answers are replayed too; 5xx answers are not kept', async (t) => {
      const { url, sim } = await stack(t)
      const refused = await cancel(url, 'key-4', [mixed.items.shipped], asSupport, mixed.safeId)
      t.equal(refused.status, 409)
      const replayed = await cancel(url, 'key-4', [mixed.items.shipped], asSupport, mixed.safeId)
      t.equal(replayed.status, 409)
      t.equal(replayed.headers.get('idempotency-replayed'), 'true')
      t.equal(replayed.headers.get('content-type'), 'application/problem+json; charset=utf-8')

      sim.enqueueFault({ kind: 'status', op: 'cancelItems', status: 503 })
      const failed = await cancel(url, 'key-5', [demo.items.new])
      t.equal(failed.status, 503)
      const retried = await cancel(url, 'key-5', [demo.items.new])
      t.equal(retried.status, 200, 'a 5xx left the key free, so the retry ran')
      t.equal(retried.headers.get('idempotency-replayed'), null)
    })

    t.test('a cancel that ran out of time behind another cancel of the order: 409 ORDER_BUSY, not kept under its key', async (t) => {
      const { url, sim, app } = await stack(t, { UPSTREAM_TIMEOUT_MS: '600' })
      // Another cancel of the order (here held by the test) keeps its lock past this request's deadline.
      let finishHolder!: () => void
      const holding = new Promise<void>((resolve) => { finishHolder = resolve })
      const holder = app.stores.locks.run(`gooten:${demo.gootenId}`, await app.stores.locks.stamp(), { signal: new AbortController().signal }, async () => await holding)
      const busy = await cancel(url, 'key-busy', [demo.items.new], asSupport, String(demo.gootenId))
      t.equal(busy.status, 409)
      t.equal(busy.body.code, 'ORDER_BUSY')
      t.equal(busy.headers.get('retry-after'), '1')
      t.match(busy.body.detail, /Another cancel of this order/)
      t.equal(sim.callCount('cancelItems'), 0, 'nothing was forwarded')
      finishHolder()
      await holder
      const retried = await cancel(url, 'key-busy', [demo.items.new], asSupport, String(demo.gootenId))
      t.equal(retried.headers.get('idempotency-replayed'), null, 'the retry with the same key ran again')
      t.equal(retried.status, 200)
    })

    t.test('the fingerprint keeps the order id as sent: a mistyped case is not replayed to the corrected request', async (t) => {
      const { url } = await stack(t)
      const mistyped = await cancel(url, 'key-case', [demo.items.new], asSupport, demo.safeId.toUpperCase())
      t.equal(mistyped.status, 404)
      const corrected = await cancel(url, 'key-case', [demo.items.new], asSupport, demo.safeId)
      t.equal(corrected.body.code, 'IDEMPOTENCY_KEY_REUSED', 'another order id is another request')
    })

    t.test('nothing is stored for requests that failed validation or authentication', async (t) => {
      const { url, sim } = await stack(t)
      t.equal((await cancel(url, 'key-6', [0])).status, 400)
      t.equal((await cancel(url, 'key-6', [demo.items.new], { authorization: 'Bearer wrong-key-0123456789' })).status, 401)
      const valid = await cancel(url, 'key-6', [demo.items.new])
      t.equal(valid.status, 200)
      t.equal(valid.headers.get('idempotency-replayed'), null)
      t.equal(sim.callCount('cancelItems'), 1)
    })

    t.test('keys are scoped to the caller', async (t) => {
      const { url, sim } = await stack(t)
      t.equal((await cancel(url, 'shared-key', [demo.items.new])).status, 200)
      const otherCaller = await cancel(url, 'shared-key', [demo.items.hold], asDashboard)
      t.equal(otherCaller.status, 403, 'evaluated as its own request (a read-only key may not cancel)')
      const dry = await call(url, cancelPath(demo.safeId, '?dryRun=true'), { body: { itemIds: [demo.items.hold] }, headers: { ...asDashboard, 'idempotency-key': 'shared-key' } })
      t.equal(dry.status, 200)
      t.equal(dry.body.outcome, 'dry_run')
      t.equal(sim.callCount('cancelItems'), 1)
    })

    t.test('the rate limit counts per caller', async (t) => {
      const { url } = await stack(t, { RATE_LIMIT_PER_MINUTE: '2' })
      const statuses: number[] = []
      for (let i = 0; i < 3; i++) statuses.push((await call(url, `/orders/${demo.safeId}/items`, { headers: asSupport })).status)
      t.same(statuses, [200, 200, 429])
      t.equal((await call(url, `/orders/${demo.safeId}/items`, { headers: asDashboard })).status, 200)
    })

    t.test('50 concurrent cancels of one item, each with its own key, make one upstream cancel', async (t) => {
      const { url, sim } = await stack(t, { RATE_LIMIT_PER_MINUTE: '1000' })
      const answers = await Promise.all(Array.from({ length: 50 }, async (_, i) => await cancel(url, `k-${i}`, [demo.items.new])))
      t.ok(answers.every((answer) => answer.status === 200))
      t.equal(sim.callCount('cancelItems'), 1)
    })
  })
}

t.test('redis store trouble in the middle of a request', async (t) => {
  t.test('Redis gone before the cancel: 503 STORE_UNAVAILABLE, nothing forwarded', async (t) => {
    const redis = await RedisServer.start(t)
    const { url, sim } = await startStack(t, { env: { API_KEYS: KEYS, REDIS_URL: redis.url } })
    await redis.stop()
    const answer = await call(url, cancelPath(demo.safeId), { body: { itemIds: [demo.items.new] }, headers: { ...asSupport, 'idempotency-key': 'k' } })
    t.equal(answer.status, 503)
    t.equal(answer.body.code, 'STORE_UNAVAILABLE')
    t.equal(answer.headers.get('retry-after'), '1')
    t.equal(sim.callCount('getOrder'), 0)
  })

  t.test('Redis away when the service starts: it serves, reads work, cancels wait for Redis', async (t) => {
    const redis = await RedisServer.start(t)
    await redis.stop()
    const { url, sim } = await startStack(t, { env: { API_KEYS: KEYS, REDIS_URL: redis.url } })
    const read = await call(url, `/orders/${demo.safeId}/items`, { method: 'GET', headers: asSupport })
    t.equal(read.status, 200, 'reads need no Redis')
    const refused = await call(url, cancelPath(demo.safeId), { body: { itemIds: [demo.items.new] }, headers: asSupport })
    t.equal(refused.body.code, 'STORE_UNAVAILABLE')
    await redis.start()
    await eventually('a cancel once Redis is back', async () =>
      (await call(url, cancelPath(demo.safeId), { body: { itemIds: [demo.items.new] }, headers: asSupport })).status === 200, { everyMs: 100 })
    t.equal(sim.callCount('cancelItems'), 1)
  })

  t.test('Redis gone after Gooten cancelled: the answer still goes out, with a warning', async (t) => {
    const redis = await RedisServer.start(t)
    const { url, sim, logs } = await startStack(t, { env: { API_KEYS: KEYS, REDIS_URL: redis.url } })
    sim.enqueueFault({ kind: 'delay', op: 'cancelItems', ms: 300 })
    const pending = call(url, cancelPath(demo.safeId), { body: { itemIds: [demo.items.new] }, headers: { ...asSupport, 'idempotency-key': 'k' } })
    await eventually('the cancel call to reach Gooten', () => sim.callCount('cancelItems') > 0)
    await redis.stop()
    const answer = await pending
    t.equal(answer.status, 200)
    t.equal(answer.body.outcome, 'cancelled')
    t.equal(logs.find('could not record the answer for its Idempotency-Key').length, 1)
  })
})
