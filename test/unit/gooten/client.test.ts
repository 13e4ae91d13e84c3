import type { ServerResponse } from 'node:http'
import t from 'tap'
import { Pool, type Dispatcher } from 'undici'
import { Bulkhead } from '../../../src/gooten/bulkhead.js'
import { CircuitBreaker } from '../../../src/gooten/circuit-breaker.js'
import { GootenClient, type CallContext, type GootenClientOptions, type UpstreamObserver } from '../../../src/gooten/client.js'
import { Deadline } from '../../../src/gooten/deadline.js'
import { GootenError, type UpstreamOp } from '../../../src/gooten/errors.js'
import { RetryBudget } from '../../../src/gooten/retry-budget.js'
import { UNREADABLE_ORDER_MEMORY_MS, UnreadableOrders } from '../../../src/gooten/unreadable-orders.js'
import { closedOrigin, sendJson, startServer } from '../helpers/http-server.js'

// Base64-like on purpose: + / = must reach Gooten percent-encoded.
const RECIPE_ID = 'rcp+SECRET/1='
const BILLING_KEY = 'tK+9/x2Q==ab+cd/ef='
const ENCODED_RECIPE = 'recipeid=rcp%2BSECRET%2F1%3D'
const ENCODED_CREDENTIALS = `${ENCODED_RECIPE}&partnerBillingKey=tK%2B9%2Fx2Q%3D%3Dab%2Bcd%2Fef%3D`

const ORDER = {
  Id: '13-f91acc87-bd23-40df-91f4-72dad9a3c971',
  GootenId: 520718,
  Items: [{ Sku: 'SKU-1', Quantity: 1, Status: 'New', Images: [{ OrderItemId: 6924457 }] }]
}
const PARSED_ORDER = { safeId: ORDER.Id, gootenId: 520718, items: [{ itemId: 6924457, sku: 'SKU-1', quantity: 1, status: 'New' }] }

interface LogLine { level: 'debug' | 'warn' | 'error', object: Record<string, unknown>, message: string }

interface Harness {
  client: GootenClient
  circuit: CircuitBreaker
  bulkhead: Bulkhead
  logs: LogLine[]
  finished: Array<{ op: UpstreamOp, outcome: string, seconds: number }>
  retried: UpstreamOp[]
  context: (options?: { deadlineInMs?: number, now?: () => number }) => CallContext
}

function harness (dispatcher: Dispatcher, origin: string, options: Partial<GootenClientOptions> & { onRetried?: () => void } = {}): Harness {
  const logs: LogLine[] = []
  const finished: Harness['finished'] = []
  const retried: UpstreamOp[] = []
  const observer: UpstreamObserver = {
    callFinished: (op, outcome, seconds) => { finished.push({ op, outcome, seconds }) },
    retried: (op) => {
      retried.push(op)
      options.onRetried?.()
    }
  }
  const circuit = options.circuit ?? new CircuitBreaker({ failureThreshold: 100, openMs: 30000 })
  const bulkhead = options.bulkhead ?? new Bulkhead(8, 8, () => {})
  const client = new GootenClient({
    origin,
    recipeId: RECIPE_ID,
    partnerBillingKey: BILLING_KEY,
    dispatcher,
    bulkhead,
    circuit,
    retryBudget: new RetryBudget(),
    observer,
    random: () => 0,
    ...options
  })
  const log = (level: LogLine['level']) => (object: object, message: string) => { logs.push({ level, object: object as Record<string, unknown>, message }) }
  const context = ({ deadlineInMs = 30000, now = Date.now }: { deadlineInMs?: number, now?: () => number } = {}): CallContext => ({
    deadline: new Deadline(now() + deadlineInMs, now),
    log: { debug: log('debug'), warn: log('warn'), error: log('error') },
    calls: []
  })
  return { client, circuit, bulkhead, logs, finished, retried, context }
}

/** The promise's rejection, which must be a GootenError. */
async function failure (promise: Promise<unknown>): Promise<GootenError> {
  return await promise.then(() => { throw new Error('expected a failure') }, (error: unknown) => {
    if (!(error instanceof GootenError)) throw error
    return error
  })
}

t.test('getOrder: one GET with the id and the recipe id, percent-encoded; the billing key stays home', async (t) => {
  const server = await startServer(t, (_req, res) => sendJson(res, 200, ORDER))
  const h = harness(server.pool, server.origin)
  t.same(await h.client.getOrder('13-f91acc87-bd23-40df-91f4-72dad9a3c971', h.context()), PARSED_ORDER)
  t.equal(server.received.length, 1)
  t.equal(server.received[0]?.method, 'GET')
  t.equal(server.received[0]?.url, `/api/v/5/source/api/orders?id=13-f91acc87-bd23-40df-91f4-72dad9a3c971&${ENCODED_RECIPE}`)
  const query = new URL(server.received[0]?.url ?? '', server.origin).searchParams
  t.equal(query.get('recipeid'), RECIPE_ID, 'Gooten decodes the recipe id intact')
  t.equal(query.get('partnerBillingKey'), null, 'a lookup does not need the private key (Gooten\'s get-order example has none)')
  t.same(h.finished.map(({ op, outcome }) => ({ op, outcome })), [{ op: 'getOrder', outcome: 'ok' }])
  t.ok((h.finished[0]?.seconds ?? -1) >= 0)
  t.same(h.retried, [])
})

t.test('getOrder: the order id is percent-encoded too', async (t) => {
  const server = await startServer(t, (_req, res) => sendJson(res, 200, ORDER))
  const h = harness(server.pool, server.origin)
  await h.client.getOrder('a b&recipeid=x', h.context())
  t.equal(server.received[0]?.url, `/api/v/5/source/api/orders?id=a%20b%26recipeid%3Dx&${ENCODED_RECIPE}`)
})

t.test('cancelItems: one PUT with the GootenId, the credentials and the item ids', async (t) => {
  const server = await startServer(t, (_req, res) => sendJson(res, 200, { HadError: false, Errors: [], Success: [6924457] }))
  const h = harness(server.pool, server.origin)
  const reply = await h.client.cancelItems(520718, [6924457, 6924458], h.context())
  t.same(reply.succeeded, [6924457])
  t.equal(reply.refusals.size, 0)
  t.equal(server.received.length, 1)
  t.equal(server.received[0]?.method, 'PUT')
  t.equal(server.received[0]?.url, `/api/orderCancel?orderId=520718&${ENCODED_CREDENTIALS}`)
  t.equal(server.received[0]?.headers['content-type'], 'application/json')
  t.same(JSON.parse(server.received[0]?.body ?? ''), { Ids: [6924457, 6924458] })
})

t.test('works without an observer and with the default randomness', async (t) => {
  const server = await startServer(t, (_req, res, index) => index === 0 ? sendJson(res, 503, {}) : sendJson(res, 200, ORDER))
  const client = new GootenClient({
    origin: server.origin,
    recipeId: RECIPE_ID,
    partnerBillingKey: BILLING_KEY,
    dispatcher: server.pool,
    bulkhead: new Bulkhead(1, 0, () => {}),
    circuit: new CircuitBreaker({ failureThreshold: 5, openMs: 1000 }),
    retryBudget: new RetryBudget()
  })
  const h = harness(server.pool, server.origin)
  t.same(await client.getOrder('1', h.context()), PARSED_ORDER)
  t.equal(server.received.length, 2)
})

t.test('getOrder retries 503, 503 then succeeds: 3 calls', async (t) => {
  const server = await startServer(t, (_req, res, index) => index < 2 ? sendJson(res, 503, { Message: 'busy' }) : sendJson(res, 200, ORDER))
  const h = harness(server.pool, server.origin)
  t.same(await h.client.getOrder('1', h.context()), PARSED_ORDER)
  t.equal(server.received.length, 3)
  t.same(h.retried, ['getOrder', 'getOrder'])
  t.same(h.finished.map((f) => f.outcome), ['unavailable', 'unavailable', 'ok'])
  t.same(h.logs.map((l) => [l.level, l.object.attempt, l.object.status, l.object.outcome]), [
    ['warn', 1, 503, 'unavailable'],
    ['warn', 2, 503, 'unavailable'],
    ['debug', 3, 200, 'ok']
  ])
})

t.test('getOrder gives up after 3 calls on a persistent 503', async (t) => {
  const server = await startServer(t, (_req, res) => sendJson(res, 503, {}))
  const h = harness(server.pool, server.origin)
  const error = await failure(h.client.getOrder('1', h.context()))
  t.match(error, { failure: 'unavailable', op: 'getOrder', details: { status: 503 } })
  t.equal(server.received.length, 3)
  t.same(h.retried, ['getOrder', 'getOrder'])
})

t.test('getOrder retries 429, 502 and 504', async (t) => {
  for (const status of [429, 502, 504]) {
    const server = await startServer(t, (_req, res, index) => index === 0 ? sendJson(res, status, {}) : sendJson(res, 200, ORDER))
    const h = harness(server.pool, server.origin)
    t.same(await h.client.getOrder('1', h.context()), PARSED_ORDER, `HTTP ${status}`)
    t.equal(server.received.length, 2, `HTTP ${status}: 2 calls`)
  }
})

t.test('getOrder does not retry 500, bad answers or a missing order', async (t) => {
  const answers: Array<[number, string]> = [[500, '{}'], [200, '<html></html>'], [404, ''], [401, '{}']]
  const expected = ['unavailable', 'bad_response', 'not_found', 'credentials_refused']
  for (const [i, [status, body]] of answers.entries()) {
    const server = await startServer(t, (_req, res) => {
      res.writeHead(status, { 'content-type': 'application/json' })
      res.end(body)
    })
    const h = harness(server.pool, server.origin)
    const error = await failure(h.client.getOrder('1', h.context()))
    t.equal(error.failure, expected[i], `HTTP ${status}`)
    t.equal(server.received.length, 1, `HTTP ${status}: one call`)
    t.same(h.retried, [])
  }
})

t.test('getOrder retries after a reset connection', async (t) => {
  const server = await startServer(t, (req, res, index) => index === 0 ? req.socket.destroy() : sendJson(res, 200, ORDER))
  const h = harness(server.pool, server.origin)
  t.same(await h.client.getOrder('1', h.context()), PARSED_ORDER)
  t.equal(server.received.length, 2)
  t.same(h.finished.map((f) => f.outcome), ['connection_failed', 'ok'])
})

t.test('getOrder against a closed port: 3 attempts, then connection_failed, never sent', async (t) => {
  const origin = await closedOrigin()
  const pool = new Pool(origin)
  t.teardown(() => pool.destroy())
  const h = harness(pool, origin)
  const error = await failure(h.client.getOrder('1', h.context()))
  t.match(error, { failure: 'connection_failed', details: { neverSent: true } })
  t.same(h.finished.map((f) => f.outcome), ['connection_failed', 'connection_failed', 'connection_failed'])
  t.same(h.logs.map((l) => l.object.status), [null, null, null], 'no status is logged as null')
})

t.test('a Retry-After that fits the deadline is honoured', async (t) => {
  const server = await startServer(t, (_req, res, index) => index === 0 ? sendJson(res, 503, {}, { 'retry-after': '0' }) : sendJson(res, 200, ORDER))
  const h = harness(server.pool, server.origin, { random: () => { throw new Error('backoff must not be computed') } })
  t.same(await h.client.getOrder('1', h.context()), PARSED_ORDER)
  t.equal(server.received.length, 2)
})

t.test('a Retry-After beyond the remaining deadline: fail at once and pass the wait on', async (t) => {
  const server = await startServer(t, (_req, res) => sendJson(res, 503, {}, { 'retry-after': '120' }))
  const h = harness(server.pool, server.origin)
  const error = await failure(h.client.getOrder('1', h.context({ deadlineInMs: 5000 })))
  t.match(error, { failure: 'unavailable', details: { status: 503, retryAfterMs: 60000 } }, 'a wait beyond a minute is capped')
  t.equal(server.received.length, 1)
  t.same(h.retried, [])
})

t.test('a spent retry budget stops retries', async (t) => {
  const server = await startServer(t, (_req, res) => sendJson(res, 503, {}))
  const h = harness(server.pool, server.origin, { retryBudget: new RetryBudget({ percent: 0, minPerSecond: 0, cap: 1 }) })
  await failure(h.client.getOrder('1', h.context()))
  t.equal(server.received.length, 2, 'the one token in reserve paid for one retry')
  await failure(h.client.getOrder('1', h.context()))
  t.equal(server.received.length, 3, 'no token left: no retry')
  t.same(h.retried, ['getOrder'])
})

t.test('a quiet service retries each transient failure: the budget refills with time, not only with traffic', async (t) => {
  // Two short 503 episodes a few seconds apart, then one 503 asking for a second's wait.
  const script = [503, 503, 503, 200, 503, 503, 503, 200, 503, 200]
  const server = await startServer(t, (_req, res, index) => {
    const status = script[index] ?? 200
    if (status === 503) {
      res.setHeader('retry-after', '0')
      sendJson(res, 503, {})
    } else sendJson(res, 200, ORDER)
  })
  let now = 0
  const h = harness(server.pool, server.origin, { retryBudget: new RetryBudget({ cap: 3, now: () => now }) })
  await failure(h.client.getOrder('1', h.context()))
  t.same(await h.client.getOrder('1', h.context()), PARSED_ORDER, 'the first episode spends the budget')
  now += 4000
  await failure(h.client.getOrder('1', h.context()))
  t.same(await h.client.getOrder('1', h.context()), PARSED_ORDER)
  now += 4000
  t.same(await h.client.getOrder('1', h.context()), PARSED_ORDER, 'seconds later, the lone 503 is retried')
  t.equal(server.received.length, script.length)
})

t.test('cancelItems is not retried after a reset', async (t) => {
  const server = await startServer(t, (req) => req.socket.destroy())
  const h = harness(server.pool, server.origin)
  const error = await failure(h.client.cancelItems(520718, [1], h.context()))
  t.equal(error.failure, 'connection_failed')
  t.equal(error.op, 'cancelItems')
  t.equal(error.mayHaveReachedGooten, true)
  t.equal(server.received.length, 1)
  t.same(h.retried, [])
})

t.test('cancelItems is not retried after a 5xx or 429', async (t) => {
  for (const status of [429, 500, 502, 503, 504]) {
    const server = await startServer(t, (_req, res) => sendJson(res, status, {}, { 'retry-after': '0' }))
    const h = harness(server.pool, server.origin)
    t.equal((await failure(h.client.cancelItems(520718, [1], h.context()))).failure, 'unavailable', `HTTP ${status}`)
    t.equal(server.received.length, 1, `HTTP ${status}: one call`)
  }
})

t.test('cancelItems is retried after a refused connection, which provably sent nothing', async (t) => {
  const server = await startServer(t, (_req, res) => sendJson(res, 200, { HadError: false, Success: [7] }))
  const refusedOrigin = await closedOrigin()
  const refused = new Pool(refusedOrigin)
  t.teardown(() => refused.destroy())
  let calls = 0
  // The first attempt meets a closed port, the next ones the server.
  const routing = { request: async (options: Dispatcher.RequestOptions) => await (calls++ === 0 ? refused : server.pool).request(options) } as unknown as Dispatcher
  const h = harness(routing, server.origin)
  const reply = await h.client.cancelItems(520718, [7], h.context())
  t.same(reply.succeeded, [7])
  t.equal(calls, 2)
  t.equal(server.received.length, 1)
  t.same(h.retried, ['cancelItems'])
  t.same(h.finished.map((f) => f.outcome), ['connection_failed', 'ok'])
})

t.test('cancelItems against a closed port gives up after 3 attempts', async (t) => {
  const origin = await closedOrigin()
  const pool = new Pool(origin)
  t.teardown(() => pool.destroy())
  const h = harness(pool, origin)
  const error = await failure(h.client.cancelItems(520718, [1], h.context()))
  t.match(error, { failure: 'connection_failed', details: { neverSent: true } })
  t.equal(error.mayHaveReachedGooten, false)
  t.equal(h.finished.length, 3)
})

t.test('deadline passing during the cancel call: timeout, not retried', async (t) => {
  const server = await startServer(t, () => {})
  const h = harness(server.pool, server.origin)
  const error = await failure(h.client.cancelItems(520718, [1], h.context({ deadlineInMs: 300 })))
  t.equal(error.failure, 'timeout')
  t.equal(error.mayHaveReachedGooten, true)
  t.equal(server.received.length, 1)
})

t.test('deadline passing while waiting to retry: timeout, and no further call', async (t) => {
  let now = Date.now()
  const server = await startServer(t, (_req, res) => sendJson(res, 503, {}, { 'retry-after': '0' }))
  // The request's clock jumps past its deadline while the retry waits.
  const h = harness(server.pool, server.origin, { onRetried: () => { now += 120_000 } })
  const error = await failure(h.client.getOrder('1', h.context({ deadlineInMs: 60000, now: () => now })))
  t.match(error, { failure: 'timeout', op: 'getOrder', details: { neverSent: true } })
  t.equal(server.received.length, 1)
  t.same(h.retried, ['getOrder'])
})

t.test('circuit open: circuit_open at once, no call, nothing logged', async (t) => {
  const server = await startServer(t, (_req, res) => sendJson(res, 200, ORDER))
  const circuit = new CircuitBreaker({ failureThreshold: 1, openMs: 30000 })
  circuit.failed()
  const h = harness(server.pool, server.origin, { circuit })
  const error = await failure(h.client.cancelItems(520718, [1], h.context()))
  t.match(error, { failure: 'circuit_open', details: { neverSent: true } })
  t.equal(error.mayHaveReachedGooten, false)
  t.equal(server.received.length, 0)
  t.same(h.finished, [])
  t.same(h.logs, [])
  t.same(h.retried, [], 'circuit_open is not retried')
})

t.test('failures open the circuit; a missing order does not count', async (t) => {
  const server = await startServer(t, (_req, res, index) => {
    if (index === 0) {
      res.writeHead(404)
      res.end()
      return
    }
    sendJson(res, 500, {})
  })
  const circuit = new CircuitBreaker({ failureThreshold: 2, openMs: 30000 })
  const h = harness(server.pool, server.origin, { circuit })
  t.equal((await failure(h.client.getOrder('1', h.context()))).failure, 'not_found')
  t.equal(circuit.state, 'closed')
  await failure(h.client.getOrder('1', h.context()))
  t.equal(circuit.state, 'closed')
  await failure(h.client.getOrder('1', h.context()))
  t.equal(circuit.state, 'open')
  t.equal((await failure(h.client.getOrder('1', h.context()))).failure, 'circuit_open')
  t.equal(server.received.length, 3)
})

t.test('a half-open trial that succeeds closes the circuit', async (t) => {
  const server = await startServer(t, (_req, res) => sendJson(res, 200, ORDER))
  const clock = { now: 0 }
  const circuit = new CircuitBreaker({ failureThreshold: 1, openMs: 1000, now: () => clock.now })
  circuit.failed()
  clock.now = 1000
  const h = harness(server.pool, server.origin, { circuit })
  t.same(await h.client.getOrder('1', h.context()), PARSED_ORDER)
  t.equal(circuit.state, 'closed')
})

t.test('shed by a full bulkhead: overloaded, no call, and the half-open trial slot is given back', async (t) => {
  const server = await startServer(t, (_req, res) => sendJson(res, 200, ORDER))
  const clock = { now: 0 }
  const circuit = new CircuitBreaker({ failureThreshold: 1, openMs: 1000, now: () => clock.now })
  circuit.failed()
  clock.now = 1000
  const bulkhead = new Bulkhead(1, 0, () => {})
  const hold = await bulkhead.acquire('getOrder', { remainingMs: 60_000 })
  const h = harness(server.pool, server.origin, { circuit, bulkhead })
  const error = await failure(h.client.getOrder('1', h.context()))
  t.match(error, { failure: 'overloaded', details: { neverSent: true } })
  t.equal(server.received.length, 0)
  t.same(h.finished, [])
  t.equal(circuit.state, 'half_open')
  hold()
  t.same(await h.client.getOrder('1', h.context()), PARSED_ORDER, 'the next call is admitted as the trial')
  t.equal(circuit.state, 'closed')
  t.equal(bulkhead.active, 0, 'the slot is released after the call')
})

t.test('the bulkhead slot is released after a failed call', async (t) => {
  const server = await startServer(t, (_req, res) => sendJson(res, 500, {}))
  const bulkhead = new Bulkhead(1, 0, () => {})
  const h = harness(server.pool, server.origin, { bulkhead })
  await failure(h.client.getOrder('1', h.context()))
  await failure(h.client.getOrder('1', h.context()))
  t.equal(bulkhead.active, 0)
  t.equal(server.received.length, 2)
})

t.test('logs: one line per call, right level, never a credential or URL', async (t) => {
  const answers = [
    (res: Parameters<typeof sendJson>[0]) => sendJson(res, 200, ORDER),
    (res: Parameters<typeof sendJson>[0]) => { res.writeHead(404); res.end() },
    (res: Parameters<typeof sendJson>[0]) => sendJson(res, 200, { Message: `Invalid recipeId ${RECIPE_ID}` }),
    (res: Parameters<typeof sendJson>[0]) => sendJson(res, 200, { HadError: true, Errors: [{ ErrorMessage: `partnerBillingKey ${BILLING_KEY} is wrong` }] }),
    (res: Parameters<typeof sendJson>[0]) => sendJson(res, 502, { Message: BILLING_KEY }),
    (res: Parameters<typeof sendJson>[0]) => sendJson(res, 200, { HadError: false, Success: [1] })
  ]
  const server = await startServer(t, (req, res, index) => {
    if (index < answers.length) (answers[index] as (r: typeof res) => void)(res)
    else req.socket.destroy()
  })
  const h = harness(server.pool, server.origin, { retryBudget: new RetryBudget({ percent: 0, minPerSecond: 0, cap: 0 }) })
  const errors: GootenError[] = []
  await h.client.getOrder('1', h.context())
  errors.push(await failure(h.client.getOrder('2', h.context())))
  errors.push(await failure(h.client.getOrder('3', h.context())))
  errors.push(await failure(h.client.getOrder('4', h.context())))
  errors.push(await failure(h.client.getOrder('5', h.context())))
  await h.client.cancelItems(1, [1], h.context())
  errors.push(await failure(h.client.cancelItems(1, [1], h.context())))

  t.same(errors.map((e) => e.failure), ['not_found', 'credentials_refused', 'credentials_refused', 'unavailable', 'connection_failed'])
  t.same(h.logs.map((l) => [l.level, l.object.op, l.object.outcome]), [
    ['debug', 'getOrder', 'ok'],
    ['debug', 'getOrder', 'not_found'],
    ['error', 'getOrder', 'credentials_refused'],
    ['error', 'getOrder', 'credentials_refused'],
    ['warn', 'getOrder', 'unavailable'],
    ['debug', 'cancelItems', 'ok'],
    ['warn', 'cancelItems', 'connection_failed']
  ])
  for (const line of h.logs) {
    t.same(Object.keys(line.object).sort(), ['attempt', 'ms', 'op', 'outcome', 'status'])
    t.equal(typeof line.object.ms, 'number')
  }
  t.match(h.logs[2]?.message, /GOOTEN_RECIPE_ID/, 'a credential refusal says which settings to check')

  const everything = JSON.stringify([h.logs, errors.map((e) => ({ message: e.message, details: e.details }))])
  for (const secret of [RECIPE_ID, BILLING_KEY, encodeURIComponent(RECIPE_ID), encodeURIComponent(BILLING_KEY), 'SECRET', 'partnerBillingKey', 'recipeid=', server.origin, '/api/']) {
    t.notOk(everything.includes(secret), `logs and errors never hold ${secret}`)
  }
})

t.test('a deadline already passed: no call is made and the half-open trial is given back', async (t) => {
  const server = await startServer(t, (_req, res) => sendJson(res, 200, ORDER))
  let now = 0
  const circuit = new CircuitBreaker({ failureThreshold: 1, openMs: 1000, now: () => now })
  circuit.failed()
  now = 2000
  const h = harness(server.pool, server.origin, { circuit })
  const error = await failure(h.client.getOrder('1', h.context({ deadlineInMs: -1 })))
  t.match(error, { failure: 'timeout', details: { neverSent: true } })
  t.equal(server.received.length, 0, 'nothing reached Gooten')
  t.equal(circuit.state, 'half_open', 'nothing was learnt about Gooten')
  t.same(await h.client.getOrder('1', h.context()), PARSED_ORDER, 'the trial is still available')
  t.equal(circuit.state, 'closed')
})

t.test('answers Gooten gave but we cannot use do not open the circuit: it follows Gooten\'s health only', async (t) => {
  const poison = { ...ORDER, Items: [{ ...ORDER.Items[0], Status: null }] }
  const unusable: Array<(res: ServerResponse) => void> = [
    (res) => sendJson(res, 200, poison),
    (res) => sendJson(res, 200, { Result: { Foo: 1 } }),
    (res) => { res.writeHead(200, { 'content-type': 'text/html' }); res.end('<html>oops</html>') },
    (res) => sendJson(res, 200, { HadError: true, Errors: [{ ErrorMessage: 'odd' }] }),
    (res) => sendJson(res, 400, { Message: 'The request is invalid.' })
  ]
  const server = await startServer(t, (_req, res, index) => {
    if (index < 10) (unusable[index % unusable.length] as (res: ServerResponse) => void)(res)
    else sendJson(res, 503, {})
  })
  const circuit = new CircuitBreaker({ failureThreshold: 2, openMs: 30000 })
  const h = harness(server.pool, server.origin, { circuit })
  for (let i = 0; i < 10; i++) {
    await failure(h.client.getOrder(`order-${i}`, h.context()))
    t.equal(circuit.state, 'closed', `after unusable answer ${i + 1}`)
  }
  await failure(h.client.getOrder('x', h.context()))
  t.equal(circuit.state, 'open', 'Gooten failing (503s, retried) still opens it')
})

t.test('an order whose document we cannot use is remembered by its id for a while: not fetched in a loop', async (t) => {
  const poison = { ...ORDER, Items: [{ ...ORDER.Items[0], Status: null }] }
  const server = await startServer(t, (req, res) => sendJson(res, 200, req.url?.includes('id=poison') === true ? poison : ORDER))
  // Not 0: lru-cache reads a start time of 0 as "no expiry".
  const clock = { now: 1000 }
  const h = harness(server.pool, server.origin, { unreadableOrders: new UnreadableOrders(() => clock.now) })
  const first = h.context()
  t.match(await failure(h.client.getOrder('poison', first)), { failure: 'order_unreadable', details: { unreadable: 'item_without_status' } })
  t.equal(first.calls.length, 1)
  for (let i = 0; i < 5; i++) {
    const again = h.context()
    t.match(await failure(h.client.getOrder('poison', again)), { failure: 'order_unreadable', details: { unreadable: 'item_without_status' } })
    t.same(again.calls, [], 'answered from memory, no call')
  }
  t.same(await h.client.getOrder('other', h.context()), PARSED_ORDER, 'other orders are fetched')
  t.equal(server.received.length, 2)
  clock.now += UNREADABLE_ORDER_MEMORY_MS + 1
  await failure(h.client.getOrder('poison', h.context()))
  t.equal(server.received.length, 3, 'fetched again once the memory has passed')
})
