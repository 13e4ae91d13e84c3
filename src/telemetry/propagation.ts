import type { Context, TextMapGetter, TextMapPropagator, TextMapSetter } from '@opentelemetry/api'
import { W3CTraceContextPropagator } from '@opentelemetry/core'

/**
 * Continues a caller's W3C trace (`traceparent`, `tracestate`) and injects nothing anywhere. The only
 * outbound HTTP calls go to Gooten, a third party that does not read trace context: sending it would
 * hand them our trace ids for nothing (docs/operations.md, Tracing). Baggage is neither read nor sent.
 */
export class InboundOnlyPropagator implements TextMapPropagator {
  readonly #w3c = new W3CTraceContextPropagator()

  inject (_context: Context, _carrier: unknown, _setter: TextMapSetter): void {}

  extract (context: Context, carrier: unknown, getter: TextMapGetter): Context {
    return this.#w3c.extract(context, carrier, getter)
  }

  fields (): string[] {
    return []
  }
}
