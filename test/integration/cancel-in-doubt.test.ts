// A cancel Gooten applies after we stopped waiting (IIS / ASP.NET runs a request to completion
// after its client hung up): the item stays in doubt, and no replica forwards it again meanwhile.
// Two real service processes, one Redis, the simulator playing the late apply.
import t from 'tap'
import { startSimulator } from '../../src/simulator/server.js'
import { checkedFetch } from '../helpers/contract.js'
import { eventually } from '../helpers/eventually.js'
import { freshItem, statusAtGooten } from '../helpers/fresh-orders.js'
import { listeningUrl, runServer } from '../helpers/process.js'
import { redisForTest } from '../helpers/redis.js'
import { call, cancelPath, processEnv, startStack, TEST_BILLING_KEY, TEST_RECIPE_ID, type JsonAnswer } from '../helpers/stack.js'

// Two service processes start from source (compiled on start): slow on a busy machine.
t.setTimeout(900_000)

async function cancel (url: string, orderId: string, itemId: number, headers: Record<string, string> = {}): Promise<JsonAnswer> {
  return await call(url, cancelPath(orderId), { body: { itemIds: [itemId] }, headers })
}

t.test('two replicas, one Redis: a late-applied cancel is never sent twice', async (t) => {
  const sim = await startSimulator({ recipeId: TEST_RECIPE_ID, partnerBillingKey: TEST_BILLING_KEY })
  t.teardown(async () => await sim.close())
  const { url: redisUrl } = await redisForTest(t)
  // 3 s per request: the cancel call gives up after 1.5 s, keeping the rest for the verification lookup.
  const env = processEnv(sim.url, { REDIS_URL: redisUrl, UPSTREAM_TIMEOUT_MS: '3000', CANCEL_IN_DOUBT_MS: '60000' })
  const replicas = [runServer(env), runServer(env)]
  t.teardown(() => { for (const replica of replicas) replica.child.kill('SIGKILL') })
  const [a, b] = await Promise.all(replicas.map(async (replica) => await listeningUrl(replica, { withinMs: 240_000 }))) as [string, string]
  // Gooten holds the answer past our patience, then applies the cancel anyway.
  const LATE_MS = 5000

  t.test('the caller retries with the same Idempotency-Key on the other replica', async (t) => {
    const { orderId, itemId } = freshItem(sim)
    const before = sim.callCount('cancelItems')
    sim.enqueueFault({ kind: 'late-apply', ms: LATE_MS })
    const headers = { 'idempotency-key': `late-${itemId}` }
    const first = await cancel(a, orderId, itemId, headers)
    t.equal(first.status, 504)
    t.match(first.body, { code: 'UPSTREAM_TIMEOUT', outcomeKnown: false, items: [{ itemId, result: 'unknown' }] })
    t.equal(statusAtGooten(sim, orderId, itemId), 'New', 'Gooten does not show it yet')

    const retry = await cancel(b, orderId, itemId, headers)
    t.equal(retry.status, 409, 'not forwarded again while Gooten may still apply the first')
    t.match(retry.body, { code: 'CANCEL_IN_DOUBT', items: [{ itemId, result: 'unknown', previousStatus: 'New' }] })
    t.ok(Number(retry.headers.get('retry-after')) >= 1, 'with Retry-After')
    t.equal(sim.callCount('cancelItems') - before, 1)

    await eventually('Gooten to apply the first cancel late', () => statusAtGooten(sim, orderId, itemId) === 'Cancelled', { withinMs: 3 * LATE_MS })
    const settled = await cancel(b, orderId, itemId, headers)
    t.equal(settled.status, 200)
    t.match(settled.body, { outcome: 'cancelled', items: [{ itemId, result: 'already_cancelled' }] }, 'once Gooten shows it: already cancelled, never "cancelled"')
    t.equal(sim.callCount('cancelItems') - before, 1, 'one upstream cancel in all')
    const metrics = await (await checkedFetch(`${a}/metrics`)).text()
    t.match(metrics, /^gooten_proxy_items_in_doubt_total 1$/m, 'the replica that lost track counts the item in doubt, once')
  })

  t.test('another caller\'s cancel waiting on the lock meanwhile', async (t) => {
    const { orderId, itemId } = freshItem(sim)
    const before = sim.callCount('cancelItems')
    sim.enqueueFault({ kind: 'late-apply', ms: LATE_MS })
    const first = cancel(a, orderId, itemId)
    await eventually('the first cancel call to reach Gooten', () => sim.callCount('cancelItems') - before === 1)
    const second = await cancel(b, orderId, itemId)
    t.equal((await first).status, 504)
    t.not(second.status, 200, 'the second caller is not told "cancelled" for the first caller\'s cancel')
    t.match(second.body, { code: /^(CANCEL_IN_DOUBT|ORDER_BUSY)$/ })
    await eventually('Gooten to apply the first cancel late', () => statusAtGooten(sim, orderId, itemId) === 'Cancelled', { withinMs: 3 * LATE_MS })
    t.equal(sim.callCount('cancelItems') - before, 1, 'one upstream cancel in all')
  })
})

t.test('in one process: the item is forwarded again once the in-doubt window has passed', async (t) => {
  // Gooten never applies it (the call hung until we gave up), so once the window is over a retry
  // goes through; before, it is refused.
  const { url, sim } = await startStack(t, { env: { UPSTREAM_TIMEOUT_MS: '1000', CANCEL_IN_DOUBT_MS: '5000' } })
  const { orderId, itemId } = freshItem(sim)
  sim.enqueueFault({ kind: 'hang', op: 'cancelItems' })
  t.equal((await cancel(url, orderId, itemId)).status, 504)
  const refused = await cancel(url, orderId, itemId, { 'idempotency-key': 'in-doubt-once' })
  t.equal(refused.status, 409)
  t.equal(refused.body.code, 'CANCEL_IN_DOUBT')
  const again = await cancel(url, orderId, itemId, { 'idempotency-key': 'in-doubt-once' })
  t.equal(again.headers.get('idempotency-replayed'), null, 'a "try later" answer is not kept for the key')
  let answer = refused
  await eventually('the in-doubt window to end', async () => {
    answer = await cancel(url, orderId, itemId)
    return answer.status !== 409
  }, { withinMs: 30_000, everyMs: 100 })
  t.equal(answer.status, 200)
  t.match(answer.body, { outcome: 'cancelled', items: [{ itemId, result: 'cancelled' }] })
  t.equal(sim.callCount('cancelItems'), 2, 'the second call, after the window, is the only one Gooten applied')
  t.equal(sim.cancelsApplied, 1)
})
