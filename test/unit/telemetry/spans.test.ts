import t from 'tap'
import { ROOT_CONTEXT, SpanStatusCode, context, defaultTextMapGetter, defaultTextMapSetter, trace, type Span } from '@opentelemetry/api'
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base'
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node'
import { InProcessLocks } from '../../../src/stores/locks/in-process.js'
import { InboundOnlyPropagator } from '../../../src/telemetry/propagation.js'
import { tracedLocks, upstreamTracer } from '../../../src/telemetry/spans.js'

const exporter = new InMemorySpanExporter()
const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] })
// The async-local context the service uses: spans nest through the active context only.
provider.register()
const tracer = provider.getTracer('test')
t.beforeEach(() => { exporter.reset() })
t.teardown(async () => await provider.shutdown())

t.test('an attempt span holds op, attempt, status and outcome, and the exchange runs inside it', async (t) => {
  const tracing = upstreamTracer(tracer)
  const ok = tracing.attempt('getOrder', 1)
  let active: Span | undefined
  const answer = await ok.run(async () => { active = trace.getActiveSpan(); return 'answer' })
  ok.end(200, 'ok')
  tracing.attempt('getOrder', 2).end(404, 'not_found')
  tracing.attempt('cancelItems', 3).end(undefined, 'connection_failed')

  t.equal(answer, 'answer')
  const [first, second, third] = exporter.getFinishedSpans()
  t.equal(active?.spanContext().spanId, first?.spanContext().spanId, 'the exchange sees the attempt span as active')
  t.match(first, { name: 'gooten getOrder', attributes: { 'gooten.op': 'getOrder', 'gooten.attempt': 1, 'http.response.status_code': 200, 'gooten.outcome': 'ok' }, status: { code: SpanStatusCode.UNSET } })
  t.match(second, { attributes: { 'gooten.attempt': 2, 'gooten.outcome': 'not_found' }, status: { code: SpanStatusCode.UNSET } }, 'an unknown order is an answer, not an error')
  t.match(third, { name: 'gooten cancelItems', attributes: { 'gooten.attempt': 3, 'gooten.outcome': 'connection_failed' }, status: { code: SpanStatusCode.ERROR, message: 'connection_failed' } })
  t.notOk('http.response.status_code' in (third?.attributes ?? {}), 'no status when none came back')
})

t.test('a lock wait span lasts until the lock is held, and the task runs outside it', async (t) => {
  const locks = tracedLocks(new InProcessLocks(), tracer)
  const request = tracer.startSpan('request')
  await context.with(trace.setSpan(context.active(), request), async () => {
    let releaseFirst!: () => void
    const first = locks.run('gooten:1', await locks.stamp(), { signal: new AbortController().signal }, async () => await new Promise<void>((resolve) => { releaseFirst = resolve }))
    let activeInTask: Span | undefined
    const second = locks.run('gooten:1', 0, { signal: new AbortController().signal }, async (stale) => { activeInTask = trace.getActiveSpan(); return stale })
    t.equal(exporter.getFinishedSpans().length, 1, 'the second wait has not ended while the first holds the lock')
    releaseFirst()
    await first
    t.equal(await second, true, 'the waiter learns its read is stale')
    t.equal(activeInTask?.spanContext().spanId, request.spanContext().spanId, 'work under the lock belongs to the request')
  })
  request.end()
  const waits = exporter.getFinishedSpans().filter((span) => span.name === 'order lock wait')
  t.same(waits.map((span) => [span.attributes['order_lock.key'], span.attributes['order_lock.stale'], span.parentSpanContext?.spanId]),
    [['gooten:1', false, request.spanContext().spanId], ['gooten:1', true, request.spanContext().spanId]])
})

t.test('a lock wait that gives up is an error span; a task that fails is not the wait\'s', async (t) => {
  const locks = tracedLocks(new InProcessLocks(), tracer)
  let releaseFirst!: () => void
  const first = locks.run('gooten:2', 0, { signal: new AbortController().signal }, async () => await new Promise<void>((resolve) => { releaseFirst = resolve }))
  const expired = AbortSignal.abort()
  await t.rejects(locks.run('gooten:2', 0, { signal: expired }, async () => 'never'), { name: 'OrderBusyError' })
  releaseFirst()
  await first
  await t.rejects(locks.run('gooten:2', 0, { signal: new AbortController().signal }, async () => { throw new Error('task failed') }), { message: 'task failed' })
  const [held, gaveUp, thenFailed] = exporter.getFinishedSpans()
  t.match(gaveUp, { status: { code: SpanStatusCode.ERROR, message: 'OrderBusyError' } })
  t.notOk('order_lock.stale' in (gaveUp?.attributes ?? {}))
  t.match(held, { status: { code: SpanStatusCode.UNSET } })
  t.match(thenFailed, { status: { code: SpanStatusCode.UNSET }, attributes: { 'order_lock.stale': true } }, 'the wait itself went fine')
})

t.test('under a request the sampler left out, attempts and lock waits record nothing and still run', async (t) => {
  const unsampled = trace.wrapSpanContext({ traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: 0 })
  await context.with(trace.setSpan(context.active(), unsampled), async () => {
    const attempt = upstreamTracer(tracer).attempt('getOrder', 1)
    let active: Span | undefined
    t.equal(await attempt.run(async () => { active = trace.getActiveSpan(); return 'answer' }), 'answer', 'the exchange runs')
    attempt.end(200, 'ok')
    t.equal(active, unsampled, 'no span of its own is made active')
    const locks = tracedLocks(new InProcessLocks(), tracer)
    t.equal(await locks.run('gooten:3', await locks.stamp(), { signal: new AbortController().signal }, async (stale) => stale), false, 'the task runs under the lock')
  })
  t.equal(exporter.getFinishedSpans().length, 0, 'no span was recorded')
})

t.test('the propagator continues a W3C trace and injects nothing', async (t) => {
  const propagator = new InboundOnlyPropagator()
  const incoming = {
    traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    tracestate: 'vendor=value',
    baggage: 'user=someone'
  }
  const extracted = trace.getSpanContext(propagator.extract(ROOT_CONTEXT, incoming, defaultTextMapGetter))
  t.match(extracted, { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: 1, isRemote: true })
  t.equal(extracted?.traceState?.get('vendor'), 'value')
  const carrier: Record<string, string> = {}
  const span = tracer.startSpan('outbound')
  propagator.inject(trace.setSpan(context.active(), span), carrier, defaultTextMapSetter)
  span.end()
  t.same(carrier, {}, 'no traceparent, tracestate or baggage is written')
  t.same(propagator.fields(), [], 'no header is declared as carrying context')
})
