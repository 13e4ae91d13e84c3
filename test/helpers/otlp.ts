import { once } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { gunzipSync } from 'node:zlib'
import protobuf from 'protobufjs'

/**
 * The part of OTLP's trace request (opentelemetry-proto, trace/v1 and common/v1) these tests read,
 * with the official field numbers. test/unit/telemetry/otlp-decoding.test.ts checks it decodes
 * exactly what the official serializer writes.
 */
const SCHEMA = `
syntax = "proto3";
message ExportTraceServiceRequest { repeated ResourceSpans resource_spans = 1; }
message ResourceSpans { Resource resource = 1; repeated ScopeSpans scope_spans = 2; }
message Resource { repeated KeyValue attributes = 1; }
message ScopeSpans { InstrumentationScope scope = 1; repeated Span spans = 2; }
message InstrumentationScope { string name = 1; string version = 2; }
message Span {
  bytes trace_id = 1; bytes span_id = 2; string trace_state = 3; bytes parent_span_id = 4;
  string name = 5; int32 kind = 6; fixed64 start_time_unix_nano = 7; fixed64 end_time_unix_nano = 8;
  repeated KeyValue attributes = 9; repeated Event events = 11; repeated Link links = 13; Status status = 15;
}
message Event { fixed64 time_unix_nano = 1; string name = 2; repeated KeyValue attributes = 3; }
message Link { bytes trace_id = 1; bytes span_id = 2; string trace_state = 3; repeated KeyValue attributes = 4; }
message Status { string message = 2; int32 code = 3; }
message KeyValue { string key = 1; AnyValue value = 2; }
message AnyValue {
  oneof value { string string_value = 1; bool bool_value = 2; int64 int_value = 3; double double_value = 4; ArrayValue array_value = 5; }
}
message ArrayValue { repeated AnyValue values = 1; }
`
const ExportRequest = protobuf.parse(SCHEMA).root.lookupType('ExportTraceServiceRequest')

export type Value = string | number | boolean | Value[] | undefined

/** One exported span, the same whichever encoding carried it; ids in lowercase hex. */
export interface ExportedSpan {
  traceId: string
  spanId: string
  /** '' for a root span. */
  parentSpanId: string
  traceState: string
  name: string
  /** OTLP's SpanKind: 1 internal, 2 server, 3 client. */
  kind: number
  /** Nanoseconds since the epoch. */
  startTime: bigint
  scope: string
  attributes: Record<string, Value>
  events: Array<{ name: string, attributes: Record<string, Value> }>
  links: Array<{ traceId: string, spanId: string, attributes: Record<string, Value> }>
  /** OTLP's StatusCode: 0 unset, 1 ok, 2 error. */
  status: { code: number, message: string }
  resource: Record<string, Value>
}

interface AnyValue { stringValue?: string, boolValue?: boolean, intValue?: number | string, doubleValue?: number, arrayValue?: { values?: AnyValue[] } }
interface KeyValue { key: string, value?: AnyValue }
interface RawSpan {
  traceId: string
  spanId: string
  parentSpanId?: string
  traceState?: string
  name: string
  kind?: number
  startTimeUnixNano?: string | number
  attributes?: KeyValue[]
  events?: Array<{ name: string, attributes?: KeyValue[] }>
  links?: Array<{ traceId: string, spanId: string, attributes?: KeyValue[] }>
  status?: { code?: number, message?: string }
}
interface RawRequest { resourceSpans?: Array<{ resource?: { attributes?: KeyValue[] }, scopeSpans?: Array<{ scope?: { name?: string }, spans?: RawSpan[] }> }> }

function valueOf (value: AnyValue | undefined): Value {
  if (value === undefined) return undefined
  if (value.stringValue !== undefined) return value.stringValue
  if (value.boolValue !== undefined) return value.boolValue
  if (value.intValue !== undefined) return Number(value.intValue)
  if (value.doubleValue !== undefined) return value.doubleValue
  return (value.arrayValue?.values ?? []).map(valueOf)
}

function attributesOf (list: KeyValue[] | undefined): Record<string, Value> {
  return Object.fromEntries((list ?? []).map(({ key, value }) => [key, valueOf(value)]))
}

function spansOf (request: RawRequest): ExportedSpan[] {
  return (request.resourceSpans ?? []).flatMap((resourceSpans) => (resourceSpans.scopeSpans ?? []).flatMap((scopeSpans) =>
    (scopeSpans.spans ?? []).map((span) => ({
      traceId: span.traceId.toLowerCase(),
      spanId: span.spanId.toLowerCase(),
      parentSpanId: (span.parentSpanId ?? '').toLowerCase(),
      traceState: span.traceState ?? '',
      name: span.name,
      kind: span.kind ?? 0,
      startTime: BigInt(span.startTimeUnixNano ?? 0),
      scope: scopeSpans.scope?.name ?? '',
      attributes: attributesOf(span.attributes),
      events: (span.events ?? []).map((event) => ({ name: event.name, attributes: attributesOf(event.attributes) })),
      links: (span.links ?? []).map((link) => ({ traceId: link.traceId.toLowerCase(), spanId: link.spanId.toLowerCase(), attributes: attributesOf(link.attributes) })),
      status: { code: span.status?.code ?? 0, message: span.status?.message ?? '' },
      resource: attributesOf(resourceSpans.resource?.attributes)
    }))))
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex')

/** An OTLP/HTTP protobuf body (ExportTraceServiceRequest). */
export function decodeProtobuf (body: Uint8Array): ExportedSpan[] {
  const request = ExportRequest.toObject(ExportRequest.decode(body), { longs: String, defaults: false })
  const withHexIds = (raw: Record<string, unknown>): RawSpan => ({
    ...(raw as unknown as RawSpan),
    traceId: hex(raw.traceId as Uint8Array),
    spanId: hex(raw.spanId as Uint8Array),
    parentSpanId: raw.parentSpanId === undefined ? '' : hex(raw.parentSpanId as Uint8Array),
    links: ((raw.links ?? []) as Array<Record<string, unknown>>).map((link) => ({
      ...(link as unknown as { attributes?: KeyValue[] }),
      traceId: hex(link.traceId as Uint8Array),
      spanId: hex(link.spanId as Uint8Array)
    }))
  })
  const typed = request as { resourceSpans?: Array<{ resource?: { attributes?: KeyValue[] }, scopeSpans?: Array<{ scope?: { name?: string }, spans?: Array<Record<string, unknown>> }> }> }
  return spansOf({
    resourceSpans: (typed.resourceSpans ?? []).map((resourceSpans) => ({
      ...resourceSpans,
      scopeSpans: (resourceSpans.scopeSpans ?? []).map((scopeSpans) => ({ ...scopeSpans, spans: (scopeSpans.spans ?? []).map(withHexIds) }))
    }))
  })
}

/** An OTLP/HTTP JSON body: ids are hex strings already, values the proto3 JSON mapping. */
export function decodeJson (body: Uint8Array): ExportedSpan[] {
  return spansOf(JSON.parse(Buffer.from(body).toString('utf8')) as RawRequest)
}

export interface Export {
  path: string
  contentType: string
  /** The request body as it arrived on the wire, before any decompression. */
  wire: Buffer
  /** The body after Content-Encoding is undone. */
  body: Buffer
}

export interface OtlpReceiver {
  /** What to put in OTEL_EXPORTER_OTLP_ENDPOINT; the exporter appends /v1/traces. */
  url: string
  exports: Export[]
  /** Set: exports still arrive and are kept, but are never answered (a collector that stopped). */
  hang: boolean
  /** Set: exports are kept and answered 500 at once (a collector that refuses them). */
  refuse: boolean
  /** Every span received so far, decoded by its content type. */
  spans: () => ExportedSpan[]
  close: () => Promise<void>
}

/** A loopback OTLP/HTTP collector: keeps every POST to /v1/traces and answers success. */
export async function startOtlpReceiver (): Promise<OtlpReceiver> {
  const exports: Export[] = []
  const server = createServer((req, res) => {
    const { hang, refuse } = receiver
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const wire = Buffer.concat(chunks)
      const contentType = String(req.headers['content-type'])
      exports.push({ path: req.url ?? '', contentType, wire, body: req.headers['content-encoding'] === 'gzip' ? gunzipSync(wire) : wire })
      if (hang) return
      if (refuse) {
        res.writeHead(500, { 'content-type': 'text/plain' }).end('Internal Server Error')
      } else {
        // An empty ExportTraceServiceResponse: full success, in either encoding.
        const json = contentType.startsWith('application/json')
        res.writeHead(200, { 'content-type': json ? 'application/json' : 'application/x-protobuf' }).end(json ? '{}' : '')
      }
    })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const receiver: OtlpReceiver = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    exports,
    hang: false,
    refuse: false,
    spans: () => exports.flatMap((received) => received.contentType.startsWith('application/json') ? decodeJson(received.body) : decodeProtobuf(received.body)),
    close: async () => {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  }
  return receiver
}
