import t from 'tap'
import { SEED } from '../../src/simulator/seed.js'
import type { Fault } from '../../src/simulator/faults.js'
import { eventually } from '../helpers/eventually.js'
import { call, cancelPath, startStack } from '../helpers/stack.js'

const { demo } = SEED
const body = { itemIds: [demo.items.new] }
// Lookups retry instantly in these tests; only the behaviour is asserted, never the time.
const fast = { UPSTREAM_TIMEOUT_MS: '3000' }

interface LookupCase {
  name: string
  faults: Fault[]
  status: number
  code: string
  lookups: number
  /** A longer deadline, for 17 MiB to travel on a busy machine. */
  env?: Record<string, string>
}

const lookupCases: LookupCase[] = [
  { name: 'HTML page', faults: [{ kind: 'html', op: 'getOrder' }], status: 502, code: 'UPSTREAM_BAD_RESPONSE', lookups: 1 },
  { name: 'invalid JSON', faults: [{ kind: 'invalid-json', op: 'getOrder' }], status: 502, code: 'UPSTREAM_BAD_RESPONSE', lookups: 1 },
  { name: 'an unknown JSON shape', faults: [{ kind: 'wrong-shape', op: 'getOrder' }], status: 502, code: 'ORDER_UNREADABLE', lookups: 1 },
  { name: 'HadError in a 200', faults: [{ kind: 'had-error', op: 'getOrder' }], status: 502, code: 'UPSTREAM_BAD_RESPONSE', lookups: 1 },
  { name: 'an ASP.NET Message body', faults: [{ kind: 'message', op: 'getOrder' }], status: 502, code: 'UPSTREAM_BAD_RESPONSE', lookups: 1 },
  { name: 'a credential refusal (Message)', faults: [{ kind: 'message', op: 'getOrder', message: 'Invalid recipeId' }], status: 502, code: 'UPSTREAM_BAD_RESPONSE', lookups: 1 },
  { name: 'a 401', faults: [{ kind: 'status', op: 'getOrder', status: 401 }], status: 502, code: 'UPSTREAM_BAD_RESPONSE', lookups: 1 },
  { name: 'a body over 6 MiB', faults: [{ kind: 'huge', op: 'getOrder' }], status: 502, code: 'ORDER_UNREADABLE', lookups: 1, env: { UPSTREAM_TIMEOUT_MS: '30000' } },
  { name: 'a 500', faults: [{ kind: 'status', op: 'getOrder', status: 500 }], status: 503, code: 'UPSTREAM_UNAVAILABLE', lookups: 1 },
  { name: 'persistent 503', faults: [{ kind: 'status', op: 'getOrder', status: 503, times: 5 }], status: 503, code: 'UPSTREAM_UNAVAILABLE', lookups: 3 },
  { name: 'resets on every lookup', faults: [{ kind: 'reset', op: 'getOrder', times: 5 }], status: 503, code: 'UPSTREAM_UNAVAILABLE', lookups: 3 }
]

for (const testCase of lookupCases) {
  t.test(`order lookup answering ${testCase.name} → ${testCase.status} ${testCase.code}, nothing cancelled`, async (t) => {
    const { url, sim } = await startStack(t, { env: { ...fast, ...testCase.env } })
    sim.enqueueFault(testCase.faults)
    const answer = await call(url, cancelPath(demo.safeId), { body })
    t.equal(answer.status, testCase.status)
    t.equal(answer.body.code, testCase.code)
    t.equal(answer.headers.get('content-type'), 'application/problem+json; charset=utf-8')
    t.notMatch(JSON.stringify(answer.body), /An error has occurred|An unexpected error occurred|DOCTYPE|Invalid recipeId|Foo|127\.0\.0\.1/, 'no upstream text or address in the answer')
    t.equal(sim.callCount('getOrder'), testCase.lookups)
    t.equal(sim.callCount('cancelItems'), 0)
    if (testCase.status === 503) t.ok(Number(answer.headers.get('retry-after')) >= 1, 'Retry-After on 503')
  })
}

t.test('a credential refusal is logged loudly, without the credential', async (t) => {
  const { url, sim, logs } = await startStack(t)
  sim.enqueueFault({ kind: 'status', op: 'getOrder', status: 401, body: '{"Message":"Authorization has been denied for this request."}' })
  await call(url, cancelPath(demo.safeId), { body })
  const loud = logs.lines.filter((line) => line.level === 50)
  t.equal(loud.length, 1)
  t.match(loud[0]?.msg, /GOOTEN_RECIPE_ID/)
})

t.test('transient lookup failures are retried: 503, 503, 200 → success with 3 lookups', async (t) => {
  const { url, sim } = await startStack(t, { env: fast })
  sim.enqueueFault({ kind: 'status', op: 'getOrder', status: 503, times: 2 })
  const answer = await call(url, cancelPath(demo.safeId), { body })
  t.equal(answer.status, 200)
  t.equal(sim.callCount('getOrder'), 3)
  t.equal(sim.callCount('cancelItems'), 1)
})

t.test('the cancel call is never retried after it may have reached Gooten', async (t) => {
  const { url, sim } = await startStack(t, { env: fast })
  sim.enqueueFault({ kind: 'status', op: 'cancelItems', status: 503 })
  const answer = await call(url, cancelPath(demo.safeId), { body })
  t.equal(answer.status, 503)
  t.equal(answer.body.code, 'UPSTREAM_UNAVAILABLE')
  t.equal(answer.body.outcomeKnown, false)
  t.same(answer.body.items, [{ itemId: demo.items.new, result: 'unknown', previousStatus: 'New', reason: String(answer.body.items?.[0]?.reason) }])
  t.equal(sim.callCount('cancelItems'), 1, 'one cancel call only')
  t.equal(sim.callCount('getOrder'), 2, 'the order was looked up again to learn the outcome')
})

// Gooten applied the cancel, but its answer does not say so: the order is read again, and it tells.
for (const [kind, what] of [['reset-after-apply', 'the connection reset'], ['bare-answer-after-apply', 'answered {"HadError":false}, naming no item']] as const) {
  t.test(`a cancel applied, then ${what}: looked up again, answered cancelled`, async (t) => {
    const { url, sim } = await startStack(t, { env: fast })
    sim.enqueueFault({ kind })
    const answer = await call(url, cancelPath(demo.safeId), { body })
    t.equal(answer.status, 200)
    t.equal(answer.body.outcome, 'cancelled')
    t.same(answer.body.items, [{ itemId: demo.items.new, result: 'cancelled', previousStatus: 'New' }])
    t.equal(sim.cancelsApplied, 1)
    t.equal(sim.callCount('cancelItems'), 1)
    t.equal(sim.callCount('getOrder'), 2, 'the follow-up lookup told what happened')
  })
}

t.test('a cancel answered with a bare message and nothing applied: outcome unknown, never "refused"', async (t) => {
  const { url, sim } = await startStack(t, { env: fast })
  sim.enqueueFault({ kind: 'had-error', op: 'cancelItems', message: 'Something went wrong.' })
  const answer = await call(url, cancelPath(demo.safeId), { body })
  t.equal(answer.status, 502)
  t.equal(answer.body.code, 'UPSTREAM_BAD_RESPONSE')
  t.equal(answer.body.outcomeKnown, false)
  t.equal(sim.cancelsApplied, 0)
})

t.test('a cancel answered with HTML: the follow-up lookup shows nothing changed → 502, outcome unknown', async (t) => {
  const { url, sim } = await startStack(t, { env: fast })
  sim.enqueueFault({ kind: 'html', op: 'cancelItems' })
  const answer = await call(url, cancelPath(demo.safeId), { body })
  t.equal(answer.status, 502)
  t.equal(answer.body.code, 'UPSTREAM_BAD_RESPONSE')
  t.equal(answer.body.outcomeKnown, false)
  t.equal(sim.cancelsApplied, 0)
})

t.test('a cancel that hangs past the deadline → 504; the follow-up lookup reports what is known', async (t) => {
  // Long enough for undici's coarse header timer (it may fire up to ~1 s late) to leave the
  // verification part of its reserve; the lookup itself answers at once.
  const { url, sim } = await startStack(t, { env: { UPSTREAM_TIMEOUT_MS: '3000' } })
  sim.enqueueFault({ kind: 'hang', op: 'cancelItems' })
  const answer = await call(url, cancelPath(demo.safeId), { body })
  t.equal(answer.status, 504)
  t.equal(answer.body.code, 'UPSTREAM_TIMEOUT')
  t.equal(answer.body.outcomeKnown, false)
  t.equal(answer.body.items?.[0]?.result, 'unknown')
  t.equal(sim.callCount('getOrder'), 2)
})

t.test('a lookup that hangs → 504 and the simulator sees the connection dropped', async (t) => {
  const { url, sim } = await startStack(t, { env: { UPSTREAM_TIMEOUT_MS: '300' } })
  sim.enqueueFault({ kind: 'hang', op: 'getOrder' })
  const answer = await call(url, `/orders/${demo.safeId}/items`)
  t.equal(answer.status, 504)
  t.equal(answer.body.code, 'UPSTREAM_TIMEOUT')
  await eventually('the simulator to see the call dropped', () => sim.stats().abortedRequests > 0)
  t.equal(sim.stats().abortedRequests, 1)
})

t.test('Gooten unreachable → 503 at once, no hang', async (t) => {
  const { url, sim } = await startStack(t, { env: fast })
  await sim.close()
  const answer = await call(url, cancelPath(demo.safeId), { body })
  t.equal(answer.status, 503)
  t.equal(answer.body.code, 'UPSTREAM_UNAVAILABLE')
})

t.test('a cancel reply of unknown shape or with only a credential error is a 502', async (t) => {
  const { url, sim } = await startStack(t, { env: fast })
  sim.enqueueFault({ kind: 'had-error', op: 'cancelItems', message: 'Invalid partnerBillingKey.' })
  const answer = await call(url, cancelPath(demo.safeId), { body })
  t.equal(answer.status, 502)
  t.equal(answer.body.code, 'UPSTREAM_BAD_RESPONSE')
})
