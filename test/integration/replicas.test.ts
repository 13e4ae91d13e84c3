import t from 'tap'
import { SEED } from '../../src/simulator/seed.js'
import { startSimulator } from '../../src/simulator/server.js'
import { eventually } from '../helpers/eventually.js'
import { checkedFetch } from '../helpers/contract.js'
import { listeningUrl, runServer } from '../helpers/process.js'
import { RedisServer } from '../helpers/redis.js'
import { NO_LOCK_DELAY, TEST_BILLING_KEY, TEST_RECIPE_ID } from '../helpers/stack.js'

const { demo, mixed } = SEED

interface Answer { status: number, body: Record<string, unknown>, replayed: string | null }

// One caller per scenario, so each has its own rate-limit budget.
// The race sends 300 cancels: six callers share them, each within the rate limit.
const RACERS = Array.from({ length: 6 }, (_, i) => `race${i}`)
const CALLERS = ['idem', 'bulk', ...RACERS, 'outage', 'limited'].map((name) => ({ name, key: `${name}-key-0123456789abcdef` }))
const API_KEYS = CALLERS.map(({ name, key }) => `${name}:${key}`).join(',')
const as = (name: string): Record<string, string> => ({ authorization: `Bearer ${name}-key-0123456789abcdef` })
const LIMIT = 60

async function post (url: string, path: string, body: unknown, headers: Record<string, string>): Promise<Answer> {
  const response = await checkedFetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) })
  return { status: response.status, body: await response.json() as Record<string, unknown>, replayed: response.headers.get('idempotency-replayed') }
}

// Two service processes behind no gateway, sharing one Redis and one Gooten simulator.
t.test('two replicas sharing Redis', async (t) => {
  const redis = await RedisServer.start(t)
  const sim = await startSimulator({ recipeId: TEST_RECIPE_ID, partnerBillingKey: TEST_BILLING_KEY })
  t.teardown(async () => await sim.close())
  const env = {
    GOOTEN_RECIPE_ID: TEST_RECIPE_ID,
    GOOTEN_PARTNER_BILLING_KEY: TEST_BILLING_KEY,
    GOOTEN_BASE_URL: sim.url,
    REDIS_URL: redis.url,
    HOST: '127.0.0.1',
    PORT: '0',
    API_KEYS,
    RATE_LIMIT_PER_MINUTE: String(LIMIT),
    LOG_LEVEL: 'info',
    ...NO_LOCK_DELAY
  }
  const replicas = [runServer(env), runServer(env)]
  t.teardown(() => { for (const replica of replicas) replica.child.kill('SIGKILL') })
  const urls = await Promise.all(replicas.map(async (replica) => await listeningUrl(replica)))
  const [a, b] = urls as [string, string]

  t.test('the same Idempotency-Key at both at once: one upstream cancel', async (t) => {
    sim.reset()
    sim.enqueueFault({ kind: 'delay', op: 'cancelItems', ms: 300 })
    const headers = { ...as('idem'), 'idempotency-key': 'both-replicas' }
    const answers = await Promise.all([a, b].map(async (url) => await post(url, `/orders/${demo.safeId}/items/cancel`, { itemIds: [demo.items.new] }, headers)))
    t.equal(sim.callCount('cancelItems'), 1)
    const statuses = answers.map((answer) => answer.status).sort()
    t.ok(statuses[0] === 200 && (statuses[1] === 409 || statuses[1] === 200), `one 200 and one 409 or replay (got ${statuses.join(', ')})`)
    const late = await post(b, `/orders/${demo.safeId}/items/cancel`, { itemIds: [demo.items.new] }, headers)
    t.equal(late.replayed, 'true', 'the other replica replays the stored answer')
    t.equal(late.status, 200)
  })

  t.test('50 concurrent cancels of one item over both replicas: one upstream cancel', async (t) => {
    sim.reset()
    const answers = await Promise.all(Array.from({ length: 50 }, async (_, i) =>
      await post(i % 2 === 0 ? a : b, `/orders/${demo.safeId}/items/cancel`, { itemIds: [demo.items.hold] }, as('bulk'))))
    t.ok(answers.every((answer) => answer.status === 200), answers.map((answer) => answer.status).join(','))
    t.equal(sim.callCount('cancelItems'), 1)
  })

  t.test('one order named by its Safe Order ID on one replica and its numeric id on the other, 150 times: one upstream cancel each', async (t) => {
    sim.reset()
    const trials = 150
    const doubles: string[] = []
    const told: Record<string, number> = {}
    for (let trial = 0; trial < trials; trial++) {
      const order = sim.freshOrder()
      const itemIds = order.Items.map((item) => item.Images?.[0]?.OrderItemId as number)
      const before = sim.callCount('cancelItems')
      // Both start within a few milliseconds of each other, in either order.
      const [first, second] = trial % 2 === 0 ? [a, b] : [b, a]
      const caller = as(RACERS[trial % RACERS.length] as string)
      const bySafeId = post(first, `/orders/${order.Id}/items/cancel`, { itemIds }, caller)
      await new Promise((resolve) => setTimeout(resolve, trial % 4))
      const byNumericId = post(second, `/orders/${String(order.GootenId)}/items/cancel`, { itemIds }, caller)
      const answers = await Promise.all([bySafeId, byNumericId])
      if (sim.callCount('cancelItems') - before !== 1) doubles.push(order.Id as string)
      const results = answers.map((answer) => answer.status === 200
        ? (answer.body.items as Array<{ result: string }>).map((item) => item.result).join('+')
        : `${answer.status} ${String(answer.body.code)}`).sort().join(' | ')
      told[results] = (told[results] ?? 0) + 1
    }
    t.same(doubles, [], 'no order was cancelled upstream twice')
    t.same(told, { 'already_cancelled+already_cancelled | cancelled+cancelled': trials }, 'one caller told cancelled, the other already cancelled')
  })

  t.test('the rate limit holds across both replicas', async (t) => {
    const statuses: number[] = []
    for (let i = 0; i < LIMIT + 10; i++) {
      const response = await checkedFetch(`${i % 2 === 0 ? a : b}/orders/${mixed.safeId}/items`, { headers: as('limited') })
      await response.arrayBuffer()
      statuses.push(response.status)
    }
    t.equal(statuses.filter((status) => status === 200).length, LIMIT, `${LIMIT} answered over both replicas together`)
    t.same(statuses.slice(LIMIT), Array.from({ length: 10 }, () => 429))
  })

  t.test('Redis down: cancels answer 503 STORE_UNAVAILABLE, reads still work, and it recovers', async (t) => {
    sim.reset()
    await redis.stop()
    const refused = await post(a, `/orders/${demo.safeId}/items/cancel`, { itemIds: [demo.items.new] }, as('outage'))
    t.equal(refused.status, 503)
    t.equal(refused.body.code, 'STORE_UNAVAILABLE')
    const withKey = await post(b, `/orders/${demo.safeId}/items/cancel`, { itemIds: [demo.items.new] }, { ...as('outage'), 'idempotency-key': 'while-down' })
    t.equal(withKey.body.code, 'STORE_UNAVAILABLE')
    t.equal(sim.callCount('cancelItems'), 0, 'nothing was cancelled without the store')
    t.equal((await checkedFetch(`${a}/orders/${mixed.safeId}/items`, { headers: as('outage') })).status, 200, 'reads keep working')
    t.equal(replicas.every((replica) => replica.child.exitCode === null), true, 'no replica crashed')

    await redis.start()
    let recovered: Answer | undefined
    await eventually('cancels to be served again once Redis is back', async () => {
      recovered = await post(a, `/orders/${demo.safeId}/items/cancel`, { itemIds: [demo.items.new] }, as('outage'))
      return recovered.status !== 503
    }, { everyMs: 100 })
    t.equal(recovered?.status, 200, 'cancels work again once Redis is back')
    t.equal(sim.callCount('cancelItems'), 1)
  })
})
