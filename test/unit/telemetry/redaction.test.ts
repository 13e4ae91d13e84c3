import t from 'tap'
import { SpanStatusCode, context, createTraceState, trace, TraceFlags } from '@opentelemetry/api'
import { ExportResultCode, type ExportResult } from '@opentelemetry/core'
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base'
import { credentialRedactor } from '../../../src/gooten/redaction.js'
import { lowerHexEncoded } from '../../helpers/encoding.js'
import { RedactingSpanExporter } from '../../../src/telemetry/redaction.js'

const BILLING_KEY = 'tK+9/x2Q==ab+cd/ef='
const redact = credentialRedactor([BILLING_KEY, 'short'])

async function exportThroughRedaction (write: (tracer: ReturnType<BasicTracerProvider['getTracer']>) => void): Promise<ReadableSpan[]> {
  const memory = new InMemorySpanExporter()
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(new RedactingSpanExporter(memory, redact))] })
  write(provider.getTracer('test'))
  await provider.forceFlush()
  const spans = memory.getFinishedSpans()
  await provider.shutdown()
  return spans
}

t.test('RedactingSpanExporter redacts every string a span carries, and keeps the rest', async (t) => {
  let parentId = ''
  let childId = ''
  const spans = await exportThroughRedaction((tracer) => {
    const parent = tracer.startSpan(`call ?recipeid=${BILLING_KEY}`)
    parentId = parent.spanContext().spanId
    const child = tracer.startSpan('child', {
      attributes: { 'url.full': 'https://x/?partnerBillingKey=k', list: ['ok', `?recipeid=${BILLING_KEY}`, 'ok'], count: 3, flag: false, codes: [1, 2] },
      links: [{ context: parent.spanContext(), attributes: { note: BILLING_KEY } }, { context: parent.spanContext() }]
    }, trace.setSpan(context.active(), parent))
    childId = child.spanContext().spanId
    child.addEvent('retry ?recipeid=r', { detail: `with ${BILLING_KEY}` })
    child.addEvent('plain')
    child.setStatus({ code: SpanStatusCode.ERROR, message: `failed for partnerbillingkey=${BILLING_KEY}` })
    child.end()
    parent.setStatus({ code: SpanStatusCode.OK })
    parent.end()
  })
  t.equal(spans.length, 2)
  const child = spans.find((span) => span.name === 'child') as ReadableSpan
  const parent = spans.find((span) => span.name !== 'child') as ReadableSpan
  t.equal(parent.name, 'call ?recipeid=REDACTED')
  t.same(parent.status, { code: SpanStatusCode.OK }, 'a status without a message stays as it was')
  t.same(child.attributes, { 'url.full': 'https://x/?partnerBillingKey=REDACTED', list: ['ok', '?recipeid=REDACTED', 'ok'], count: 3, flag: false, codes: [1, 2] })
  t.same(child.links.map((link) => link.attributes), [{ note: 'REDACTED' }, undefined])
  t.same(child.events.map((event) => [event.name, event.attributes]), [['retry ?recipeid=REDACTED', { detail: 'with REDACTED' }], ['plain', {}]])
  t.same(child.status, { code: SpanStatusCode.ERROR, message: 'failed for partnerbillingkey=REDACTED' })
  t.equal(child.spanContext().spanId, childId, 'the span keeps its identity')
  t.equal(child.parentSpanContext?.spanId, parentId, 'and its parent')
  t.ok(child.ended)
  t.ok(JSON.stringify(spans.map((span) => [span.attributes, span.events, span.links, span.status, span.name])).includes(BILLING_KEY) === false, 'the key is nowhere')
})

t.test('a secret the caller put in its tracestate is redacted from every span of the trace; other entries stay', async (t) => {
  const caller = { traceId: '4bf92f3577b34da6a3ce929b0e0e4736', spanId: '00f067aa0ba902b7', traceFlags: TraceFlags.SAMPLED, isRemote: true }
  const spans = await exportThroughRedaction((tracer) => {
    const withState = { ...caller, traceState: createTraceState(`leak=${lowerHexEncoded(BILLING_KEY)},vendor=plain`) }
    tracer.startSpan('server', { links: [{ context: withState }] }, trace.setSpanContext(context.active(), withState)).end()
    tracer.startSpan('untouched', {}, trace.setSpanContext(context.active(), { ...caller, traceState: createTraceState('vendor=plain') })).end()
  })
  const server = spans.find((span) => span.name === 'server') as ReadableSpan
  t.equal(server.spanContext().traceState?.serialize(), 'leak=REDACTED,vendor=plain')
  t.equal(server.parentSpanContext?.traceState?.serialize(), 'leak=REDACTED,vendor=plain', 'the parent context too')
  t.equal(server.links[0]?.context.traceState?.serialize(), 'leak=REDACTED,vendor=plain', 'and a link')
  t.equal(server.spanContext().traceId, caller.traceId, 'the trace stays the caller\'s')
  const untouched = spans.find((span) => span.name === 'untouched') as ReadableSpan
  t.equal(untouched.spanContext().traceState?.serialize(), 'vendor=plain')
})

t.test('RedactingSpanExporter passes results, flushes and shutdowns through', async (t) => {
  const calls: string[] = []
  const bare: SpanExporter = {
    export: (_spans, done: (result: ExportResult) => void) => { calls.push('export'); done({ code: ExportResultCode.FAILED }) },
    shutdown: async () => { calls.push('shutdown') }
  }
  const exporter = new RedactingSpanExporter(bare, redact)
  const result = await new Promise<ExportResult>((resolve) => exporter.export([], resolve))
  t.equal(result.code, ExportResultCode.FAILED, 'the next exporter\'s result is reported')
  await exporter.forceFlush()
  await exporter.shutdown()
  t.same(calls, ['export', 'shutdown'], 'an exporter without forceFlush is fine')
  const flushing = new RedactingSpanExporter({ ...bare, forceFlush: async () => { calls.push('flush') } }, redact)
  await flushing.forceFlush()
  t.equal(calls.at(-1), 'flush')
})
