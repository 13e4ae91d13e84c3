import { createTraceState, type Attributes, type AttributeValue, type SpanContext } from '@opentelemetry/api'
import type { ExportResult } from '@opentelemetry/core'
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base'
import type { Redactor } from '../gooten/redaction.js'

function redactValue (value: AttributeValue | undefined, redact: Redactor): AttributeValue | undefined {
  if (typeof value === 'string') return redact(value)
  if (Array.isArray(value)) return value.map((item: unknown) => typeof item === 'string' ? redact(item) : item) as AttributeValue
  return value
}

function redactAttributes<A extends Attributes | undefined> (attributes: A, redact: Redactor): A {
  if (attributes === undefined) return attributes
  const redacted: Attributes = {}
  for (const [key, value] of Object.entries(attributes)) redacted[key] = redactValue(value, redact)
  return redacted as A
}

/** The caller's tracestate is exported with every span of its trace: a secret sent in it is redacted too. */
function redactContext<C extends SpanContext | undefined> (spanContext: C, redact: Redactor): C {
  const state = spanContext?.traceState?.serialize()
  if (spanContext === undefined || state === undefined) return spanContext
  const redacted = redact(state)
  return redacted === state ? spanContext : { ...spanContext, traceState: createTraceState(redacted) }
}

/** A copy of the span with every string it carries redacted: name, attributes, events, links, status, tracestate. */
export function redactSpan (span: ReadableSpan, redact: Redactor): ReadableSpan {
  const message = span.status.message
  return {
    name: redact(span.name),
    kind: span.kind,
    spanContext: () => redactContext(span.spanContext(), redact),
    parentSpanContext: redactContext(span.parentSpanContext, redact),
    startTime: span.startTime,
    endTime: span.endTime,
    status: message === undefined ? span.status : { ...span.status, message: redact(message) },
    attributes: redactAttributes(span.attributes, redact),
    links: span.links.map((link) => ({ ...link, context: redactContext(link.context, redact), attributes: redactAttributes(link.attributes, redact) })),
    events: span.events.map((event) => ({ ...event, name: redact(event.name), attributes: redactAttributes(event.attributes, redact) })),
    duration: span.duration,
    ended: span.ended,
    resource: span.resource,
    instrumentationScope: span.instrumentationScope,
    droppedAttributesCount: span.droppedAttributesCount,
    droppedEventsCount: span.droppedEventsCount,
    droppedLinksCount: span.droppedLinksCount
  }
}

/**
 * The last step before the wire: whatever an instrumentation recorded, the exporter only ever sees
 * redacted copies. It sits under the batch processor, so the cost falls on the export, not the request.
 */
export class RedactingSpanExporter implements SpanExporter {
  constructor (private readonly next: SpanExporter, private readonly redact: Redactor) {}

  export (spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    this.next.export(spans.map((span) => redactSpan(span, this.redact)), resultCallback)
  }

  async shutdown (): Promise<void> {
    await this.next.shutdown()
  }

  async forceFlush (): Promise<void> {
    await this.next.forceFlush?.()
  }
}
