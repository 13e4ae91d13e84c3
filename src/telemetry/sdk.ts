import { FastifyOtelInstrumentation } from '@fastify/otel'
import { trace } from '@opentelemetry/api'
import { OTLPTraceExporter as OtlpJsonExporter } from '@opentelemetry/exporter-trace-otlp-http'
import { OTLPTraceExporter as OtlpProtobufExporter } from '@opentelemetry/exporter-trace-otlp-proto'
import { registerInstrumentations } from '@opentelemetry/instrumentation'
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici'
import { defaultResource, detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources'
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base'
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node'
import { configuredSecrets, type Config, type OtlpProtocol } from '../config.js'
import { credentialRedactor, type Redactor } from '../gooten/redaction.js'
import { tracingPlugin } from './tracing-plugin.js'
import type { AppTracing } from './hooks.js'
import { InboundOnlyPropagator } from './propagation.js'
import { RedactingSpanExporter } from './redaction.js'
import { tracedLocks, upstreamTracer } from './spans.js'

export interface Tracing {
  hooks: AppTracing
  /** Flushes and stops within `timeoutMs`; false when the last spans could not be exported. Never rejects. */
  shutdown: (timeoutMs: number) => Promise<boolean>
}

const SERVICE_NAME = 'gooten-order-proxy'
/** Probes, scrapes and the docs are not traced: they would drown the order routes' traces. */
const UNTRACED = /^\/(health|metrics|docs)(\/|\?|$)/

function exporterFor (protocol: OtlpProtocol): OtlpJsonExporter | OtlpProtobufExporter {
  // Endpoint, headers, timeout and compression come from the OTEL_EXPORTER_OTLP_* variables.
  return protocol === 'http/json' ? new OtlpJsonExporter() : new OtlpProtobufExporter()
}

/** undici records the full URL, query and credentials included: these replace it before the span starts. */
function redactedUrl (request: { origin: string, path: string }, redact: Redactor): Record<string, string> {
  const url = new URL(request.path, request.origin)
  return { 'url.full': redact(url.href), 'url.query': redact(url.search) }
}

/**
 * Starts the OpenTelemetry SDK: traces exported over OTLP/HTTP, the caller's W3C trace continued and
 * never passed on, every exported string redacted (by `redact`: the server passes the live secrets',
 * which know rotated values too). Must run before the app is built.
 */
export function startTracing (config: Config, settings: { protocol: OtlpProtocol }, redact: Redactor = credentialRedactor(configuredSecrets(config))): Tracing {
  const provider = new NodeTracerProvider({
    // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES win over the name given here.
    resource: defaultResource()
      .merge(resourceFromAttributes({ 'service.name': SERVICE_NAME }))
      .merge(detectResources({ detectors: [envDetector] })),
    // The sampler (OTEL_TRACES_SAMPLER, _ARG) and the batching (OTEL_BSP_*) are read by the SDK.
    spanProcessors: [new BatchSpanProcessor(new RedactingSpanExporter(exporterFor(settings.protocol), redact))]
  })
  provider.register({ propagator: new InboundOnlyPropagator() })

  const fastify = new FastifyOtelInstrumentation({
    // One span for the request and one for its handler; hook spans would add a dozen per request.
    instrumentHooks: false,
    ignorePaths: (route) => UNTRACED.test(route.url),
    requestHook: (span, request) => {
      const route = request.routeOptions.url
      span.updateName(route === undefined ? request.method : `${request.method} ${route}`)
    }
  })
  const undici = new UndiciInstrumentation({
    requireParentforSpans: true,
    // Outside a recorded attempt (a request the sampler left out) the call is not looked at at all:
    // the instrumentation would otherwise parse its URL and headers for a span that records nothing.
    ignoreRequestHook: () => trace.getActiveSpan()?.isRecording() !== true,
    startSpanHook: (request) => redactedUrl(request, redact)
  })
  registerInstrumentations({ tracerProvider: provider, instrumentations: [fastify, undici] })

  const tracer = provider.getTracer(SERVICE_NAME)
  return {
    hooks: {
      plugin: tracingPlugin(fastify),
      upstream: upstreamTracer(tracer),
      locks: (locks) => tracedLocks(locks, tracer)
    },
    shutdown: async (timeoutMs) => {
      let timer: NodeJS.Timeout | undefined
      const gaveUp = new Promise<boolean>((resolve) => { timer = setTimeout(() => resolve(false), timeoutMs) })
      // A collector that does not answer must not hold the exit past the grace period, and one that
      // refuses (or cannot be reached) must not turn a clean drain into exit 1.
      const flushed = provider.shutdown().then(() => true, () => false)
      const result = await Promise.race([flushed, gaveUp])
      clearTimeout(timer)
      return result
    }
  }
}
