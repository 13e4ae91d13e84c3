import t from 'tap'
import { SpanKind, SpanStatusCode, context, trace } from '@opentelemetry/api'
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer'
import { resourceFromAttributes } from '@opentelemetry/resources'
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base'
import { decodeJson, decodeProtobuf } from '../../helpers/otlp.js'

// The tests' OTLP decoders (test/helpers/otlp.ts) must read exactly what the official serializers write,
// or a check of exported spans could pass on a misread body.
t.test('both decoders read what the official OTLP serializers write, field for field', async (t) => {
  const exporter = new InMemorySpanExporter()
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'decoder-check' }),
    spanProcessors: [new SimpleSpanProcessor(exporter)]
  })
  const tracer = provider.getTracer('decoder-scope')
  const parent = tracer.startSpan('parent', { kind: SpanKind.SERVER })
  const linked = tracer.startSpan('linked')
  linked.end()
  const child = tracer.startSpan('child', {
    kind: SpanKind.CLIENT,
    attributes: { text: 'a+b/c=', count: 42, ratio: 0.5, flag: true, list: ['x', 'y'] },
    links: [{ context: linked.spanContext(), attributes: { why: 'because' } }]
  }, trace.setSpan(context.active(), parent))
  child.addEvent('happened', { detail: 'here' })
  child.setStatus({ code: SpanStatusCode.ERROR, message: 'went wrong' })
  child.end()
  parent.end()
  const spans = exporter.getFinishedSpans()

  const fromProtobuf = decodeProtobuf(ProtobufTraceSerializer.serializeRequest(spans) as Uint8Array)
  const fromJson = decodeJson(JsonTraceSerializer.serializeRequest(spans) as Uint8Array)
  t.same(fromProtobuf, fromJson, 'the two encodings decode alike')

  const decodedChild = fromProtobuf.find((span) => span.name === 'child')
  t.match(decodedChild, {
    traceId: parent.spanContext().traceId,
    spanId: child.spanContext().spanId,
    parentSpanId: parent.spanContext().spanId,
    kind: 3,
    scope: 'decoder-scope',
    attributes: { text: 'a+b/c=', count: 42, ratio: 0.5, flag: true, list: ['x', 'y'] },
    events: [{ name: 'happened', attributes: { detail: 'here' } }],
    links: [{ traceId: linked.spanContext().traceId, spanId: linked.spanContext().spanId, attributes: { why: 'because' } }],
    status: { code: 2, message: 'went wrong' },
    resource: { 'service.name': 'decoder-check' }
  })
  t.ok((decodedChild?.startTime ?? 0n) > 1_600_000_000_000_000_000n, 'start time in nanoseconds since the epoch')
  t.equal(fromProtobuf.find((span) => span.name === 'parent')?.parentSpanId, '', 'a root span has no parent')
  await provider.shutdown()
})
