import t from 'tap'
import { setTimeout as sleep } from 'node:timers/promises'
import type { FastifyInstance } from 'fastify'
import { buildApp, type BuildAppOptions } from '../../src/app.js'
import { SEED } from '../../src/simulator/seed.js'
import { answerIn, rawClient } from '../helpers/raw-http.js'
import { eventually } from '../helpers/eventually.js'
import { cancelPath, startStack, testConfig, type LogCapture, type Stack, type Teardown } from '../helpers/stack.js'

const { demo, mixed } = SEED

const stalledBody = (id: string): string =>
  `POST ${cancelPath(demo.safeId)} HTTP/1.1\r\nHost: x\r\nX-Request-Id: ${id}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{`

interface Started extends Stack {
  /** Resolves once the request with this id has passed every hook before its body is read. */
  bodyAwaited: (requestId: string) => Promise<void>
}

/** startStack, telling when a request has passed every hook; `prepare` adds a test's hooks before listening. */
async function startApp (t: Teardown, app: Partial<BuildAppOptions> = {}, prepare: (app: FastifyInstance) => void = () => {}): Promise<Started> {
  const reached = new Map<string, { promise: Promise<void>, resolve: () => void }>()
  const reachedFor = (id: string): { promise: Promise<void>, resolve: () => void } => {
    let entry = reached.get(id)
    if (entry === undefined) {
      let done = (): void => {}
      const promise = new Promise<void>((resolve) => { done = resolve })
      entry = { promise, resolve: done }
      reached.set(id, entry)
    }
    return entry
  }
  const stack = await startStack(t, {
    app,
    prepare: (service) => {
      // Added after the service's own hooks, so it runs once they have all seen the request.
      service.addHook('preParsing', async (request) => { reachedFor(request.id).resolve() })
      prepare(service)
    }
  })
  return { ...stack, bodyAwaited: async (id: string): Promise<void> => { await reachedFor(id).promise } }
}

/** Log lines at warning level or above (the service logs none while serving these clients). */
const warnings = (logs: LogCapture): Array<Record<string, unknown>> => logs.lines.filter((line) => (line.level as number) >= 40)

t.test('a request that stops arriving gets a 408 problem after the request timeout, not Node\'s 60 s', async (t) => {
  const requestTimeoutMs = 500
  const { url, sim } = await startApp(t, { requestTimeoutMs })
  const cases = [
    { name: 'stalled body', bytes: stalledBody('stalled-body') },
    { name: 'stalled header block', bytes: 'GET /health/live HTTP/1.1\r\nHost: x\r\nX-Request-Id: stalled-head\r\n' }
  ]
  await Promise.all(cases.map(async (testCase) => {
    const started = Date.now()
    const client = rawClient(url, testCase.bytes)
    await client.closed
    const elapsed = Date.now() - started
    const answer = answerIn(client.received())
    t.equal(answer.status, 408, `${testCase.name}: status`)
    t.equal(answer.headers['content-type'], 'application/problem+json; charset=utf-8', `${testCase.name}: problem+json`)
    t.equal(answer.body.code, 'VALIDATION_FAILED', `${testCase.name}: code`)
    t.equal(answer.body.status, 408, `${testCase.name}: status in body`)
    t.match(answer.headers['x-request-id'], /^[0-9a-f-]{36}$/, `${testCase.name}: request id`)
    t.equal(answer.body.requestId, answer.headers['x-request-id'], `${testCase.name}: the same id in the body`)
    t.equal(answer.headers.connection, 'close', `${testCase.name}: connection closed`)
    t.ok(elapsed >= requestTimeoutMs, `${testCase.name}: not cut off before the timeout (${elapsed} ms)`)
    // A ceiling, not a speed claim: Node's own limit for a request whose headers arrived is 60 s.
    t.ok(elapsed < 20_000, `${testCase.name}: cut off at the configured timeout, not Node's 60 s (${elapsed} ms)`)
  }))
  t.equal(sim.calls.length, 0, 'the simulator saw no call')
})

t.test('the production configuration gives Node the same limit for headers as for the whole request', async (t) => {
  const app = await buildApp({ config: testConfig() })
  t.teardown(async () => await app.close())
  t.equal(app.server.requestTimeout, 10_000)
  t.ok(app.server.headersTimeout > 0 && app.server.headersTimeout <= app.server.requestTimeout, `headersTimeout ${app.server.headersTimeout}`)
})

t.test('a drain turns away a body still arriving at once, finishes a request whose body arrived, and close waits on no stalled client', async (t) => {
  // Longer than the test runs: nothing below may be explained by the request timeout.
  const { url, app, sim, logs, bodyAwaited } = await startApp(t, { requestTimeoutMs: 30_000 })
  sim.enqueueFault([{ kind: 'delay', op: 'getOrder', ms: 800, times: 1 }])

  const stalled = rawClient(url, stalledBody('stalled-body'))
  await bodyAwaited('stalled-body')
  // Its body comes in a second packet, after the service started reading it; then it waits on Gooten.
  const body = JSON.stringify({ itemIds: [demo.items.new] })
  const trickled = rawClient(url, `POST ${cancelPath(demo.safeId)} HTTP/1.1\r\nHost: x\r\nX-Request-Id: trickled\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`)
  await bodyAwaited('trickled')
  trickled.socket.write(body)
  await eventually('the trickled request to reach Gooten', () => sim.callCount('getOrder') === 1)
  // Answered (415) before its body came, and then the body stopped: the connection stays open.
  const answeredEarly = rawClient(url, `POST ${cancelPath(demo.safeId)} HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 1000\r\n\r\nx`)
  await eventually('the early answer', () => answeredEarly.received() !== '')
  t.equal(answerIn(answeredEarly.received()).status, 415, 'answered before its body arrived')
  const stalledHead = rawClient(url, 'GET /health/live HTTP/1.1\r\nHost: x\r\n')

  let trickledAnswered = false
  const trickledDone = trickled.closed.then(() => { trickledAnswered = true })
  const draining = app.readiness.drain()
  await stalled.closed
  const stalledAnsweredFirst = !trickledAnswered
  t.ok(stalledAnsweredFirst, 'the stalled body was turned away while the other request was still at Gooten')
  const turnedAway = answerIn(stalled.received())
  t.equal(turnedAway.status, 503)
  t.equal(turnedAway.body.code, 'NOT_READY')
  t.equal(turnedAway.headers['content-type'], 'application/problem+json; charset=utf-8')
  t.equal(turnedAway.headers.connection, 'close')
  t.equal(turnedAway.headers['retry-after'], '1')
  t.equal(turnedAway.headers['x-request-id'], 'stalled-body')

  await draining
  await trickledDone
  const finished = answerIn(trickled.received())
  t.equal(finished.status, 200, 'the request whose body had arrived finished')
  t.equal(finished.body.outcome, 'cancelled')
  t.equal(finished.headers.connection, 'close')
  t.equal(sim.callCount('cancelItems'), 1, 'only the trickled request reached Gooten')

  // Nothing is in flight now; the two clients that stopped sending are closed, not waited for.
  const closing = app.close()
  const ceiling = new Promise((resolve) => setTimeout(resolve, 20_000).unref())
  const outcome = await Promise.race([Promise.all([closing, stalledHead.closed, answeredEarly.closed]).then(() => 'closed'), ceiling.then(() => 'waited')])
  t.equal(outcome, 'closed', 'close ended both connections instead of waiting for their request timeout')
  t.equal(stalledHead.received(), '', 'the stalled header block got no 408: it was closed, not timed out')
  t.same(logs.find('request finished').map((line) => [line.reqId, line.status]).filter(([id]) => id === 'stalled-body' || id === 'trickled'), [['stalled-body', 503], ['trickled', 200]])
  t.same(warnings(logs), [], 'no warning or error logged (no "Reply was already sent")')
})

t.test('a body still arriving when the drain starts between the hooks and the body is turned away too', async (t) => {
  // The signal lands after the readiness check let the request in, before its body is read.
  const { url, sim, logs } = await startApp(t, { requestTimeoutMs: 30_000 }, (app) => {
    app.addHook('onRequest', async (request) => {
      // Not awaited: the drain waits for this very request.
      if (request.id === 'late-signal') app.readiness.drain().catch(() => {})
    })
  })
  const client = rawClient(url, stalledBody('late-signal'))
  await client.closed
  const answer = answerIn(client.received())
  t.equal(answer.status, 503)
  t.equal(answer.body.code, 'NOT_READY')
  t.equal(answer.headers.connection, 'close')
  t.equal(sim.calls.length, 0, 'never reached a route')
  t.same(warnings(logs), [])
})

t.test('a GET whose body is still arriving when a drain has begun is answered as usual: its body is never read', async (t) => {
  const { url, app, logs } = await startApp(t, { requestTimeoutMs: 30_000 })
  const draining = app.readiness.drain()
  const client = rawClient(url, 'GET /health/live HTTP/1.1\r\nHost: x\r\nX-Request-Id: live-with-body\r\nContent-Length: 10\r\nConnection: close\r\n\r\n{')
  // Long after the read that held the headers: the rest of the body is still on its way.
  await sleep(50)
  client.send('123456789')
  await client.closed
  const answer = answerIn(client.received())
  t.equal(answer.status, 200, 'liveness answers 200 while the service drains')
  t.same(answer.body, { status: 'ok' })
  await draining
  t.same(warnings(logs), [])
})

t.test('a body that arrives after an early answer is discarded, and the connection serves the next request', async (t) => {
  const { url, sim } = await startApp(t)
  const head = `POST ${cancelPath(demo.safeId)} HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 100000\r\n\r\n`
  const client = rawClient(url, `${head}x`)
  await eventually('an answer', () => client.received() !== '')
  t.equal(answerIn(client.received()).status, 415)
  // More than any buffer would hold; only then the next request on the same connection.
  client.socket.write('x'.repeat(99_999))
  client.socket.write(`GET /orders/${mixed.safeId}/items HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`)
  await client.closed
  const second = client.received().split('HTTP/1.1 ')[2] ?? ''
  t.equal(answerIn(`HTTP/1.1 ${second}`).status, 200, 'the next request was answered')
  t.equal(sim.callCount('getOrder'), 1)
})
