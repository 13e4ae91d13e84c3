import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { mkdtemp, readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import type { Fault } from '../../src/simulator/faults.js'
import { SEED } from '../../src/simulator/seed.js'
import { startSimulator } from '../../src/simulator/server.js'
import { eventually } from '../helpers/eventually.js'
import { startOtlpReceiver, type ExportedSpan } from '../helpers/otlp.js'
import { listeningUrl, moduleProbe, runServer } from '../helpers/process.js'
import { startRecordingProxy } from '../helpers/recording-proxy.js'
import { call, cancelPath, TEST_BILLING_KEY, TEST_RECIPE_ID, type JsonAnswer, processEnv } from '../helpers/stack.js'
import { lowerHexEncoded } from '../helpers/encoding.js'

// The service as a real process exporting OTLP/HTTP protobuf (the default) to a collector on loopback,
// Gooten reached through a proxy that keeps every header the service sends. The batch delay is a
// minute, so nothing is exported before SIGTERM: what arrives was flushed by the shutdown.

const { demo, mixed } = SEED
const CALLER_KEY = 'caller-secret-key-5e1f9a7b3c'
const BAGGAGE_MARKER = 'baggage-marker-41c7'
const SECRETS = [...new Set([TEST_RECIPE_ID, TEST_BILLING_KEY, CALLER_KEY].flatMap((secret) =>
  [secret, encodeURIComponent(secret), lowerHexEncoded(secret)]))]

interface Caller { traceId: string, spanId: string }
const newCaller = (): Caller => ({ traceId: randomBytes(16).toString('hex'), spanId: randomBytes(8).toString('hex') })
const traceparent = (caller: Caller, flags = '01'): string => `00-${caller.traceId}-${caller.spanId}-${flags}`

interface Case {
  name: string
  faults: Fault[]
  status: number
  code?: string
  /** The Gooten attempts, in order, as op:attempt. */
  attempts: string[]
}

// Each cancels the demo order's New item against freshly seeded orders.
const cases: Case[] = [
  { name: 'two 503s, then success', faults: [{ kind: 'status', op: 'getOrder', status: 503, times: 2 }], status: 200, attempts: ['getOrder:1', 'getOrder:2', 'getOrder:3', 'cancelItems:1'] },
  { name: 'connection resets on every lookup', faults: [{ kind: 'reset', op: 'getOrder', times: 5 }], status: 503, code: 'UPSTREAM_UNAVAILABLE', attempts: ['getOrder:1', 'getOrder:2', 'getOrder:3'] },
  { name: 'a lookup that never answers', faults: [{ kind: 'hang', op: 'getOrder' }], status: 504, code: 'UPSTREAM_TIMEOUT', attempts: ['getOrder:1'] },
  { name: 'an HTML page', faults: [{ kind: 'html', op: 'getOrder' }], status: 502, code: 'UPSTREAM_BAD_RESPONSE', attempts: ['getOrder:1'] },
  { name: 'a Message naming the recipe id', faults: [{ kind: 'message', op: 'getOrder', message: `Invalid recipeId ${TEST_RECIPE_ID}` }], status: 502, code: 'UPSTREAM_BAD_RESPONSE', attempts: ['getOrder:1'] },
  // A HadError naming no item is no refusal: the order is read again (docs/decisions.md).
  { name: 'a HadError naming the billing key', faults: [{ kind: 'had-error', op: 'cancelItems', message: `Invalid partnerBillingKey ${TEST_BILLING_KEY}` }], status: 502, code: 'UPSTREAM_BAD_RESPONSE', attempts: ['getOrder:1', 'cancelItems:1', 'getOrder:1'] },
  { name: 'a 503 on the cancel', faults: [{ kind: 'status', op: 'cancelItems', status: 503 }], status: 503, code: 'UPSTREAM_UNAVAILABLE', attempts: ['getOrder:1', 'cancelItems:1', 'getOrder:1'] },
  { name: 'a reset after the cancel was applied', faults: [{ kind: 'reset-after-apply', op: 'cancelItems' }], status: 200, attempts: ['getOrder:1', 'cancelItems:1', 'getOrder:1'] }
]

const byId = (spans: ExportedSpan[]): Map<string, ExportedSpan> => new Map(spans.map((span) => [span.spanId, span]))

/** The span's ancestors within its trace, nearest first. */
function ancestors (span: ExportedSpan, index: Map<string, ExportedSpan>): ExportedSpan[] {
  const chain: ExportedSpan[] = []
  for (let parent = index.get(span.parentSpanId); parent !== undefined && chain.length < 20; parent = index.get(parent.parentSpanId)) chain.push(parent)
  return chain
}

const byStart = (a: ExportedSpan, b: ExportedSpan): number => a.startTime < b.startTime ? -1 : a.startTime > b.startTime ? 1 : 0

t.test('one trace from the caller through the service to every Gooten attempt, flushed at SIGTERM, no secret exported, no context sent to Gooten', async (t) => {
  const sim = await startSimulator({ recipeId: TEST_RECIPE_ID, partnerBillingKey: TEST_BILLING_KEY })
  const proxy = await startRecordingProxy(sim.url)
  const otlp = await startOtlpReceiver()
  t.teardown(async () => { await otlp.close(); await proxy.close(); await sim.close() })
  // The proxy keeps what it is sent: a traceparent sent to it does show up.
  await fetch(`${proxy.url}/__sim/stats`, { headers: { traceparent: traceparent(newCaller()) } })
  t.ok(proxy.headers.pop()?.traceparent, 'the proxy records trace headers when there are some')

  const probeFile = join(await mkdtemp(join(tmpdir(), 'otel-probe-')), 'modules.txt')
  const probe = moduleProbe(probeFile)
  const server = runServer(processEnv(proxy.url, {
    ...probe.env,
    API_KEYS: `support:${CALLER_KEY}`,
    UPSTREAM_TIMEOUT_MS: '1500',
    // Eight failing cases in a row must each reach Gooten, not a circuit opened by the ones before.
    CIRCUIT_FAILURE_THRESHOLD: '1000',
    SHUTDOWN_TIMEOUT_MS: '5000',
    OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url,
    OTEL_SERVICE_NAME: 'gooten-order-proxy-under-test',
    OTEL_BSP_SCHEDULE_DELAY: '60000'
  }), { nodeArgs: probe.nodeArgs })
  t.teardown(() => { server.child.kill('SIGKILL') })
  const url = await listeningUrl(server)
  const auth = { authorization: `Bearer ${CALLER_KEY}` }
  const cancel = async (caller: Caller | undefined, headers: Record<string, string> = {}, orderId = demo.safeId): Promise<JsonAnswer> =>
    await call(url, cancelPath(orderId), { body: { itemIds: [demo.items.new] }, headers: { ...auth, ...(caller === undefined ? {} : { traceparent: traceparent(caller) }), ...headers } })

  const answered: Array<{ testCase: Case, caller: Caller, answer: JsonAnswer }> = []
  for (const testCase of cases) {
    sim.reset()
    sim.enqueueFault(testCase.faults)
    const caller = newCaller()
    const answer = await cancel(caller, { tracestate: 'caller=kept', baggage: `user=${BAGGAGE_MARKER}` })
    t.equal(answer.status, testCase.status, `${testCase.name}: answered ${testCase.status}`)
    answered.push({ testCase, caller, answer })
  }

  // A replay, a wait for the order's lock, a refused caller, an unknown route, a probe, an unsampled
  // caller and a caller without trace context.
  sim.reset()
  const replayCaller = newCaller()
  await cancel(newCaller(), { 'idempotency-key': 'replay-me' })
  const replay = await cancel(replayCaller, { 'idempotency-key': 'replay-me' })
  t.equal(replay.headers.get('idempotency-replayed'), 'true')

  sim.reset()
  sim.enqueueFault({ kind: 'delay', op: 'cancelItems', ms: 400 })
  const holder = cancel(newCaller())
  await eventually('the first cancel to reach Gooten', () => sim.callCount('cancelItems') === 1)
  const waiterCaller = newCaller()
  const [, waiter] = await Promise.all([holder, cancel(waiterCaller)])
  t.equal(waiter.body.outcome, 'cancelled', 'the waiter found the item cancelled by the holder')

  const refusedCaller = newCaller()
  const refused = await call(url, cancelPath(demo.safeId), { body: { itemIds: [demo.items.new] }, headers: { authorization: `Bearer ${CALLER_KEY}x`, traceparent: traceparent(refusedCaller) } })
  t.equal(refused.status, 401)
  const lostCaller = newCaller()
  const lost = await call(url, '/no-such-route', { headers: { traceparent: traceparent(lostCaller) } })
  t.equal(lost.status, 404)
  const probeAnswer = await call(url, '/health/ready', { headers: { traceparent: traceparent(newCaller()) } })
  const unsampledCaller = newCaller()
  const unsampled = await call(url, `/orders/${mixed.safeId}/items`, { headers: { ...auth, traceparent: traceparent(unsampledCaller, '00') } })
  t.equal(unsampled.status, 200)
  const fresh = await call(url, `/orders/${mixed.safeId}/items`, { headers: auth })

  t.equal(otlp.exports.length, 0, 'nothing exported yet: the batch waits a minute')
  server.child.kill('SIGTERM')
  const [code, signal] = await once(server.child, 'close') as [number, string | null]
  t.same({ code, signal }, { code: 0, signal: null }, `exits 0 within SHUTDOWN_TIMEOUT_MS, having flushed: ${server.stderr.join('')}`)
  t.ok(otlp.exports.length > 0, 'the shutdown flushed the spans')
  t.ok(otlp.exports.every((received) => received.path === '/v1/traces' && received.contentType === 'application/x-protobuf'), 'OTLP/HTTP protobuf to /v1/traces')

  const spans = otlp.spans()
  const index = byId(spans)
  const logs = server.stdout.map((line) => JSON.parse(line) as Record<string, unknown>)
  const linesOf = (answer: JsonAnswer): Array<Record<string, unknown>> => logs.filter((line) => line.reqId === answer.headers.get('x-request-id'))
  const inbound = (caller: Caller): ExportedSpan[] => spans.filter((span) => span.traceId === caller.traceId && span.kind === 2)

  t.test('every exported span belongs to the service', async (t) => {
    t.ok(spans.every((span) => span.resource['service.name'] === 'gooten-order-proxy-under-test'), 'OTEL_SERVICE_NAME names it')
  })

  t.test('the caller\'s trace continues: caller → inbound span → handler → Gooten attempt → HTTP client span', async (t) => {
    for (const { testCase, caller, answer } of answered) {
      const [request, ...others] = inbound(caller)
      t.equal(others.length, 0, `${testCase.name}: one inbound span`)
      t.match(request, {
        parentSpanId: caller.spanId,
        traceState: 'caller=kept',
        name: 'POST /orders/:orderId/items/cancel',
        attributes: { 'http.route': '/orders/:orderId/items/cancel', 'http.response.status_code': testCase.status }
      }, `${testCase.name}: the inbound span is the caller's child`)
      if (testCase.code === undefined) t.notOk('problem.code' in (request?.attributes ?? {}))
      else t.equal(request?.attributes['problem.code'], testCase.code, `${testCase.name}: its problem code`)

      const attempts = spans.filter((span) => span.traceId === caller.traceId && span.name.startsWith('gooten ')).sort(byStart)
      t.same(attempts.map((span) => `${String(span.attributes['gooten.op'])}:${String(span.attributes['gooten.attempt'])}`), testCase.attempts, `${testCase.name}: one span per attempt`)
      // Each attempt span says what the access line says of that call.
      const access = linesOf(answer).find((line) => line.msg === 'request finished')
      const logged = (access?.upstream ?? []) as Array<Record<string, unknown>>
      t.same(attempts.map((span) => [span.attributes['gooten.op'], span.attributes['gooten.attempt'], span.attributes['http.response.status_code'] ?? null, span.attributes['gooten.outcome']]),
        logged.map((line) => [line.op, line.attempt, line.status, line.outcome]), `${testCase.name}: op, attempt, status and outcome as logged`)
      for (const attempt of attempts) {
        t.ok(ancestors(attempt, index).includes(request as ExportedSpan), `${testCase.name}: ${attempt.name} descends from the inbound span`)
        const http = spans.filter((span) => span.parentSpanId === attempt.spanId)
        t.equal(http.length, 1, `${testCase.name}: one HTTP client span under ${attempt.name}`)
        t.match(http[0], { kind: 3, scope: '@opentelemetry/instrumentation-undici' })
        const query = attempt.attributes['gooten.op'] === 'getOrder'
          ? `?id=${demo.safeId}&recipeid=REDACTED`
          : `?orderId=${demo.gootenId}&recipeid=REDACTED&partnerBillingKey=REDACTED`
        t.equal(http[0]?.attributes['url.query'], query, `${testCase.name}: url.query keeps the keys, not the values`)
        t.equal(http[0]?.attributes['url.full'], `${proxy.url}${attempt.attributes['gooten.op'] === 'getOrder' ? '/api/v/5/source/api/orders' : '/api/orderCancel'}${query}`)
      }
    }
  })

  t.test('a replay is an event on the inbound span, with no Gooten call', async (t) => {
    const [request] = inbound(replayCaller)
    t.same(request?.events.map((event) => event.name), ['idempotency replay'])
    t.equal(spans.filter((span) => span.traceId === replayCaller.traceId && span.name.startsWith('gooten ')).length, 0)
  })

  t.test('a wait for the order\'s lock is a span of its own, and the read under it another attempt', async (t) => {
    const [request] = inbound(waiterCaller)
    const waits = spans.filter((span) => span.traceId === waiterCaller.traceId && span.name === 'order lock wait')
    t.equal(waits.length, 1)
    t.match(waits[0]?.attributes, { 'order_lock.key': `gooten:${demo.gootenId}`, 'order_lock.stale': true })
    t.ok(ancestors(waits[0] as ExportedSpan, index).includes(request as ExportedSpan), 'under the inbound span')
    const attempts = spans.filter((span) => span.traceId === waiterCaller.traceId && span.name.startsWith('gooten ')).sort(byStart)
    t.same(attempts.map((span) => span.name), ['gooten getOrder', 'gooten getOrder'], 'read again under the lock, nothing forwarded')
  })

  t.test('problems carry their code: a refused caller, an unknown route', async (t) => {
    t.match(inbound(refusedCaller), [{ attributes: { 'http.response.status_code': 401, 'problem.code': 'UNAUTHORIZED' } }])
    t.match(inbound(lostCaller), [{ name: 'GET', attributes: { 'http.response.status_code': 404, 'problem.code': 'NOT_FOUND' } }])
    t.equal(spans.filter((span) => span.attributes['http.route'] === '/health/ready').length, 0, 'probes are not traced')
    t.notOk(linesOf(probeAnswer).some((line) => 'trace_id' in line), 'nor are their log lines marked')
  })

  t.test('the caller\'s sampling decision holds; without trace context a trace starts here', async (t) => {
    t.equal(spans.filter((span) => span.traceId === unsampledCaller.traceId).length, 0, 'an unsampled caller\'s trace is not recorded')
    t.ok(linesOf(unsampled).every((line) => line.trace_id === unsampledCaller.traceId && line.trace_flags === '00'), 'its lines still name the trace, as unsampled')
    const started = spans.filter((span) => span.kind === 2 && span.parentSpanId === '' && span.attributes['http.route'] === '/orders/:orderId/items')
    t.equal(started.length, 1, 'one root span for the request without context')
    t.ok(linesOf(fresh).every((line) => line.trace_id === started[0]?.traceId && line.span_id === started[0]?.spanId))
  })

  t.test('every log line of a traced request carries its trace_id and span_id', async (t) => {
    for (const { testCase, caller, answer } of answered) {
      const lines = linesOf(answer)
      t.ok(lines.length >= 2, `${testCase.name}: lines were logged`)
      const [request] = inbound(caller)
      t.ok(lines.every((line) => line.trace_id === caller.traceId && line.span_id === request?.spanId && line.trace_flags === '01'), testCase.name)
    }
  })

  t.test('no exported byte holds a credential or a caller key, raw or percent-encoded', async (t) => {
    const wire = Buffer.concat(otlp.exports.map((received) => received.wire)).toString('latin1')
    const utf8 = Buffer.concat(otlp.exports.map((received) => received.wire)).toString('utf8')
    for (const secret of SECRETS) {
      t.notOk(wire.includes(secret) || utf8.includes(secret), `never exported: ${secret.slice(0, 10)}…`)
    }
    t.notMatch(utf8, /(recipeid|partnerbillingkey)=(?!REDACTED)/i, 'every credential parameter is REDACTED')
    t.notOk(utf8.includes(BAGGAGE_MARKER), 'baggage is not read, so not recorded')
    t.notOk(utf8.includes('Bearer'), 'no Authorization header is recorded')
    t.match(utf8, /recipeid=REDACTED/, 'the search looked at the URLs')
  })

  t.test('the process\'s own output holds no secret and no upstream query either', async (t) => {
    const output = [...server.stdout, ...server.stderr].join('\n')
    for (const secret of SECRETS) t.notOk(output.includes(secret), `never written: ${secret.slice(0, 10)}…`)
    t.notMatch(output, /recipeid=|partnerBillingKey=/i)
    t.equal(server.stderr.join(''), '', 'nothing on stderr: the SDK\'s diagnostics stay off')
  })

  t.test('Gooten never receives trace context', async (t) => {
    const httpSpans = spans.filter((span) => span.scope === '@opentelemetry/instrumentation-undici')
    // One call per HTTP client span, plus the unsampled caller's lookup, which has none.
    t.equal(proxy.headers.length, httpSpans.length + 1, 'every Gooten call went through the recording proxy')
    for (const name of ['traceparent', 'tracestate', 'baggage']) {
      t.notOk(proxy.headers.some((headers) => name in headers), `no ${name} header reached Gooten`)
    }
  })

  t.test('the SDK was loaded: the module probe sees it (the default process is shown free of it elsewhere)', async (t) => {
    const modules = (await readFile(probeFile, 'utf8')).split('\n')
    t.ok(modules.some((module) => module.includes('/node_modules/@opentelemetry/')), 'OpenTelemetry modules resolved')
    t.ok(modules.some((module) => module.includes('/src/telemetry/sdk.ts')), 'src/telemetry resolved')
  })
})
