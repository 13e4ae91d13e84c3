// A Redis that forgets its keys while a cancel call is out (FLUSHALL, a restart without
// persistence): no replica takes the order's lock again until no cancel sent before the loss can
// still reach Gooten (the lock-delay); cancels get 503 meanwhile, reads go on. Two real service
// processes, a throwaway redis-server, the simulator holding the cancel's answer.
import { Redis } from 'ioredis'
import t from 'tap'
import { startSimulator } from '../../src/simulator/server.js'
import { checkedFetch } from '../helpers/contract.js'
import { eventually } from '../helpers/eventually.js'
import { freshItem, statusAtGooten } from '../helpers/fresh-orders.js'
import { listeningUrl, runServer } from '../helpers/process.js'
import { RedisServer, redisForTest } from '../helpers/redis.js'
import { call, cancelPath, processEnv, startStack, TEST_BILLING_KEY, TEST_RECIPE_ID, type JsonAnswer } from '../helpers/stack.js'

// Two service processes start from source (compiled on start): slow on a busy machine.
t.setTimeout(900_000)

async function cancel (url: string, orderId: string, itemId: number, query = ''): Promise<JsonAnswer> {
  return await call(url, cancelPath(orderId, query), { body: { itemIds: [itemId] } })
}

/** The same cancel, asked again until the lock-delay's 503 ends: the first answer after it. */
async function cancelAfterLockDelay (url: string, orderId: string, itemId: number): Promise<JsonAnswer> {
  let answer: JsonAnswer | undefined
  await eventually('the lock-delay to end', async () => {
    answer = await cancel(url, orderId, itemId)
    return answer.status !== 503
  }, { withinMs: 30_000, everyMs: 250 })
  return answer as JsonAnswer
}

const lockDelayGauge = async (url: string): Promise<string | undefined> =>
  /^gooten_proxy_store_lock_delay (\d+)$/m.exec(await (await checkedFetch(`${url}/metrics`)).text())?.[1]

t.test('two replicas, and Redis loses its keys mid-cancel', async (t) => {
  const redisServer = await RedisServer.start(t)
  const admin = new Redis(redisServer.url, { maxRetriesPerRequest: 1 })
  t.teardown(() => admin.disconnect())
  // The store has been in use for long: an epoch with no lock-delay, as the service leaves one.
  const runId = /run_id:(\w+)/.exec(await admin.info('server'))?.[1] as string
  await admin.set('gop:lock:epoch', `${runId}:0`)
  const sim = await startSimulator({ recipeId: TEST_RECIPE_ID, partnerBillingKey: TEST_BILLING_KEY })
  t.teardown(async () => await sim.close())
  // Short times, so that the test waits the lock-delay out: 3 s requests, a 10 s lock-delay, longer
  // than the 6 s Gooten takes below to apply a cancel late (as the default covers ASP.NET's 110 s).
  const env = processEnv(sim.url, { REDIS_URL: redisServer.url, UPSTREAM_TIMEOUT_MS: '3000', CANCEL_IN_DOUBT_MS: '60000', STORE_LOCK_DELAY_MS: '10000' })
  const replicas = [runServer(env), runServer(env)]
  t.teardown(() => { for (const replica of replicas) replica.child.kill('SIGKILL') })
  const [a, b] = await Promise.all(replicas.map(async (replica) => await listeningUrl(replica, { withinMs: 240_000 }))) as [string, string]

  t.test('FLUSHALL while the first replica\'s cancel call is out', async (t) => {
    const { orderId, itemId } = freshItem(sim)
    const before = sim.callCount('cancelItems')
    // Gooten answers after 1 s, within the first replica's patience: its cancel succeeds.
    sim.enqueueFault({ kind: 'late-apply', ms: 1000 })
    const first = cancel(a, orderId, itemId)
    await eventually('the first cancel call to reach Gooten', () => sim.callCount('cancelItems') - before === 1)
    await admin.flushall()
    const second = await cancel(b, orderId, itemId)
    t.equal(second.status, 503, 'the second replica does not take the lost lock')
    t.equal(second.body.code, 'STORE_UNAVAILABLE')
    t.ok(Number(second.headers.get('retry-after')) >= 1)
    t.ok(Number(await lockDelayGauge(b)) >= 1, 'the lock-delay shows in the metrics')
    t.equal((await call(b, `/orders/${orderId}/items`)).status, 200, 'reads keep working')
    t.equal((await cancel(b, orderId, itemId, '?dryRun=true')).status, 200, 'dry runs too')
    const firstAnswer = await first
    t.equal(firstAnswer.status, 200)
    t.match(firstAnswer.body, { items: [{ itemId, result: 'cancelled' }] })
    const after = await cancelAfterLockDelay(b, orderId, itemId)
    t.match(after.body, { outcome: 'cancelled', items: [{ itemId, result: 'already_cancelled' }] })
    t.equal(sim.callCount('cancelItems') - before, 1, 'one upstream cancel in all')
  })

  t.test('a restart without persistence forgets an item in doubt: the lock-delay covers it', async (t) => {
    const { orderId, itemId } = freshItem(sim)
    const before = sim.callCount('cancelItems')
    sim.enqueueFault({ kind: 'late-apply', ms: 6000 })
    const first = await cancel(a, orderId, itemId)
    t.equal(first.status, 504, 'the first replica gave up; Gooten will apply it later')
    await redisServer.stop()
    await redisServer.start()
    let retry = first
    await eventually('the replicas to reach the restarted Redis', async () => {
      retry = await cancel(b, orderId, itemId)
      return retry.status !== 503 || /lost its state/.test(String(retry.body.detail))
    }, { withinMs: 30_000, everyMs: 100 })
    t.equal(retry.status, 503, 'no lock while the lost mark\'s cancel may still be applied')
    t.equal(retry.body.code, 'STORE_UNAVAILABLE')
    await eventually('Gooten to apply the first cancel late', () => statusAtGooten(sim, orderId, itemId) === 'Cancelled', { withinMs: 15_000 })
    retry = await cancelAfterLockDelay(b, orderId, itemId)
    t.match(retry.body, { outcome: 'cancelled', items: [{ itemId, result: 'already_cancelled' }] })
    t.equal(sim.callCount('cancelItems') - before, 1, 'one upstream cancel in all')
  })
})

t.test('a fresh Redis cannot be told from one that lost its keys: cancels wait out one lock-delay, reads do not', async (t) => {
  const { url: redisUrl } = await redisForTest(t)
  // The default lock-delay for these settings: 3 s + 10 s + 60 s.
  const { url, sim, logs } = await startStack(t, { env: { REDIS_URL: redisUrl, UPSTREAM_TIMEOUT_MS: '3000', CANCEL_IN_DOUBT_MS: '60000', STORE_LOCK_DELAY_MS: '73000' } })
  const { orderId, itemId } = freshItem(sim)
  const refused = await cancel(url, orderId, itemId)
  t.equal(refused.status, 503)
  t.ok(Number(await lockDelayGauge(url)) > 60, 'the metrics show the seconds it has left')
  t.match(refused.body, { code: 'STORE_UNAVAILABLE', detail: /^The shared store lost its state; nothing was cancelled\. Cancels resume in \d+ s/ })
  t.ok(Number(refused.headers.get('retry-after')) > 60, 'Retry-After: the lock-delay left')
  t.equal((await call(url, `/orders/${orderId}/items`)).status, 200)
  t.equal(sim.callCount('cancelItems'), 0)
  const warnings = logs.lines.filter((line) => line.level === 40).map((line) => String(line.msg))
  t.same(warnings.filter((msg) => msg.includes('lock')), ['the lock store lost its state; cancels answer 503 until the lock-delay ends'], 'one warning for the loss, none for the setting')
})
