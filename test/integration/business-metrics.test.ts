import { createServer } from 'node:net'
import t from 'tap'
import { SEED } from '../../src/simulator/seed.js'
import { checkedFetch } from '../helpers/contract.js'
import { redisForTest } from '../helpers/redis.js'
import { call, cancelPath, startStack } from '../helpers/stack.js'

const { demo, mixed } = SEED
const WRITER_KEY = 'writer-key-0123456789abcdef'
const READER_KEY = 'reader-key-0123456789abcdef'
const API_KEYS = `support:${WRITER_KEY},dashboard:${READER_KEY}:ro`
const asWriter = { authorization: `Bearer ${WRITER_KEY}` }
const asReader = { authorization: `Bearer ${READER_KEY}` }

/** The value of one exported series, e.g. `gooten_proxy_cancels_total{caller="support",outcome="cancelled"}`; undefined when absent. */
function sample (text: string, series: string): number | undefined {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `))
  return line === undefined ? undefined : Number(line.slice(series.length + 1))
}

async function scrape (url: string): Promise<string> {
  return await (await checkedFetch(`${url}/metrics`)).text()
}

t.test('cancels by caller and outcome, items by result and refusal reason, replays, in-doubt items', async (t) => {
  const { url, sim } = await startStack(t, { env: { API_KEYS, UPSTREAM_TIMEOUT_MS: '3000' } })
  const cancel = async (orderId: string, itemIds: number[], headers: Record<string, string> = asWriter, query = ''): Promise<number> =>
    (await call(url, cancelPath(orderId, query), { body: { itemIds }, headers })).status

  t.equal(await cancel(demo.safeId, [demo.items.new], { ...asWriter, 'idempotency-key': 'k-1' }), 200)
  t.equal(await cancel(demo.safeId, [demo.items.new], { ...asWriter, 'idempotency-key': 'k-1' }), 200, 'replayed')
  t.equal(await cancel(demo.safeId, [demo.items.new, 424242]), 422, 'an item not in the order')
  t.equal(await cancel(mixed.safeId, [mixed.items.new, mixed.items.shipped]), 409, 'an item past pre-production')
  sim.enqueueFault({ kind: 'refuse', itemIds: [mixed.items.pending] })
  t.equal(await cancel(mixed.safeId, [mixed.items.new, mixed.items.pending]), 200, 'Gooten refuses one item')
  t.equal(await cancel(demo.safeId, [demo.items.hold], asReader, '?dryRun=true'), 200, 'a dry run')
  // The cancel call is reset and the follow-up lookup does not show the item cancelled: in doubt.
  sim.enqueueFault({ kind: 'reset', op: 'cancelItems' })
  t.equal(await cancel(demo.safeId, [demo.items.hold]), 503)

  const text = await scrape(url)
  const cancels = (caller: string, outcome: string): number | undefined => sample(text, `gooten_proxy_cancels_total{caller="${caller}",outcome="${outcome}"}`)
  t.equal(cancels('support', 'cancelled'), 1)
  t.equal(cancels('support', 'replayed'), 1)
  t.equal(cancels('support', 'items_not_in_order'), 1)
  t.equal(cancels('support', 'items_not_cancellable'), 1)
  t.equal(cancels('support', 'partially_cancelled'), 1)
  t.equal(cancels('dashboard', 'dry_run'), 1)
  t.equal(cancels('support', 'upstream_unavailable'), 1)

  const items = (caller: string, result: string, reason = 'none'): number | undefined =>
    sample(text, `gooten_proxy_cancel_items_total{caller="${caller}",result="${result}",reason="${reason}"}`)
  t.equal(items('support', 'cancelled'), 2, 'one in the first cancel, one beside the refused item; the replay counts no item again')
  t.equal(items('support', 'failed', 'not_in_order'), 1)
  t.equal(items('support', 'not_attempted'), 2, 'the item beside the missing one and the item beside the shipped one')
  t.equal(items('support', 'failed', 'past_pre_production'), 1)
  t.equal(items('support', 'failed', 'refused_by_gooten'), 1)
  t.equal(items('dashboard', 'would_cancel'), 1)
  t.equal(items('support', 'unknown'), 1)
  t.equal(sample(text, 'gooten_proxy_items_in_doubt_total'), 1)

  t.equal(sample(text, 'gooten_proxy_problems_total{code="ITEMS_NOT_IN_ORDER"}'), 1)
  t.equal(sample(text, 'gooten_proxy_problems_total{code="UPSTREAM_UNAVAILABLE"}'), 1)
  t.equal(sample(text, 'gooten_proxy_problems_total{code="SERVICE_OVERLOADED"}'), 0, 'every code is exported from the start')
  t.equal(sample(text, 'gooten_upstream_calls_total{op="cancelItems",outcome="credentials_refused"}'), 0, 'every upstream outcome is exported from the start')
  t.equal(sample(text, 'gooten_proxy_store_available'), 1, 'the in-process store is always available')
  t.equal(sample(text, 'gooten_proxy_store_lock_delay'), 0)
})

t.test('failed authentications by reason; no key in any label', async (t) => {
  const { url, app } = await startStack(t, { env: { API_KEYS } })
  const before = await scrape(url)
  for (const reason of ['missing', 'malformed', 'invalid_key', 'invalid_token', 'insufficient_scope']) {
    t.equal(sample(before, `gooten_proxy_auth_failures_total{reason="${reason}"}`), 0, `${reason} is exported from the start`)
  }
  const attempts: Array<Record<string, string>> = [{}, { authorization: `Basic ${WRITER_KEY}` }, { authorization: 'Bearer not-a-known-key-0123456789' }, { authorization: `Bearer ${WRITER_KEY}x` }, asReader]
  const statuses: number[] = []
  for (const headers of attempts) statuses.push((await call(url, cancelPath(demo.safeId), { body: { itemIds: [demo.items.new] }, headers })).status)
  t.same(statuses, [401, 401, 401, 401, 403])

  const text = await scrape(url)
  t.equal(sample(text, 'gooten_proxy_auth_failures_total{reason="missing"}'), 1)
  t.equal(sample(text, 'gooten_proxy_auth_failures_total{reason="malformed"}'), 1)
  t.equal(sample(text, 'gooten_proxy_auth_failures_total{reason="invalid_key"}'), 2)
  t.equal(sample(text, 'gooten_proxy_auth_failures_total{reason="insufficient_scope"}'), 1)
  t.equal(sample(text, 'gooten_proxy_cancels_total{caller="anonymous",outcome="unauthorized"}'), 4, 'refused callers are one bucket')
  t.equal(sample(text, 'gooten_proxy_cancels_total{caller="dashboard",outcome="forbidden"}'), 1)
  t.notMatch(text, new RegExp(`${WRITER_KEY}|${READER_KEY}|not-a-known-key`), 'no key in any label')

  // Other code paths (reconciling in-doubt items, a store that lost its keys) report through app.metrics.
  app.metrics.itemsInDoubt(2)
  app.metrics.storeLockDelay(4.5)
  const later = await scrape(url)
  t.equal(sample(later, 'gooten_proxy_items_in_doubt_total'), 2, 'other code paths add in-doubt items through app.metrics')
  t.equal(sample(later, 'gooten_proxy_store_lock_delay'), 4.5)
})

t.test('without caller keys every cancel is counted for anonymous', async (t) => {
  const { url } = await startStack(t)
  await call(url, cancelPath(demo.safeId), { body: { itemIds: [demo.items.new] } })
  t.equal(sample(await scrape(url), 'gooten_proxy_cancels_total{caller="anonymous",outcome="cancelled"}'), 1)
})

/** A loopback port nothing listens on. */
async function closedPort (): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

t.test('the store\'s availability: 1 with Redis reachable, 0 and STORE_UNAVAILABLE answers without it', async (t) => {
  const up = await startStack(t, { env: { REDIS_URL: (await redisForTest(t)).url } })
  t.equal(sample(await scrape(up.url), 'gooten_proxy_store_available'), 1)

  const down = await startStack(t, { env: { REDIS_URL: `redis://127.0.0.1:${await closedPort()}` } })
  t.equal((await call(down.url, cancelPath(demo.safeId), { body: { itemIds: [demo.items.new] } })).status, 503)
  const text = await scrape(down.url)
  t.equal(sample(text, 'gooten_proxy_store_available'), 0)
  t.equal(sample(text, 'gooten_proxy_problems_total{code="STORE_UNAVAILABLE"}'), 1)
  t.equal(sample(text, 'gooten_proxy_cancels_total{caller="anonymous",outcome="store_unavailable"}'), 1)
})
