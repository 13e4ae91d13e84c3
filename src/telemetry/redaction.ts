import type { Attributes, AttributeValue } from '@opentelemetry/api'
import type { ExportResult } from '@opentelemetry/core'
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base'

export const REDACTED = 'REDACTED'

/**
 * Gooten's credential parameters, matched without regard to case as Gooten reads them. Only the value
 * is replaced: the semantic conventions keep the key, so a reader still sees which credential was sent.
 */
const CREDENTIAL_PARAMETERS = /(^|[?&;])(recipeid|partnerbillingkey)=[^&#\s]*/gi

/** Below this length a value is too likely to occur by chance to be replaced wherever it appears. */
const MIN_SCRUBBED_LENGTH = 8

export type Redactor = (text: string) => string

/**
 * Replaces every credential query parameter's value, then every occurrence of a known secret, raw or
 * percent-encoded (the credentials and the caller keys): the second catches a secret in any other shape.
 */
export function credentialRedactor (secrets: readonly string[]): Redactor {
  const forms = [...new Set(secrets.filter((secret) => secret.length >= MIN_SCRUBBED_LENGTH)
    .flatMap((secret) => [secret, encodeURIComponent(secret)]))]
    // Longest first, so a secret that contains another is replaced whole.
    .sort((a, b) => b.length - a.length)
  return (text) => {
    let redacted = text.replace(CREDENTIAL_PARAMETERS, `$1$2=${REDACTED}`)
    for (const form of forms) {
      if (redacted.includes(form)) redacted = redacted.split(form).join(REDACTED)
    }
    return redacted
  }
}

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

/** A copy of the span with every string it carries redacted: name, attributes, events, links, status. */
export function redactSpan (span: ReadableSpan, redact: Redactor): ReadableSpan {
  const message = span.status.message
  return {
    name: redact(span.name),
    kind: span.kind,
    spanContext: () => span.spanContext(),
    parentSpanContext: span.parentSpanContext,
    startTime: span.startTime,
    endTime: span.endTime,
    status: message === undefined ? span.status : { ...span.status, message: redact(message) },
    attributes: redactAttributes(span.attributes, redact),
    links: span.links.map((link) => ({ ...link, attributes: redactAttributes(link.attributes, redact) })),
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
