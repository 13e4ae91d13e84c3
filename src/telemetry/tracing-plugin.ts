import type { FastifyPluginAsync } from 'fastify'
import fp from 'fastify-plugin'
import type { Logger } from 'pino'
import type { FastifyOtelInstrumentation } from '@fastify/otel'

/**
 * @fastify/otel's request span, named `METHOD /route`, plus what only this service knows: the problem
 * `code` of an error answer and an idempotent replay. Every log line of the request carries the
 * span's `trace_id` and `span_id`.
 */
export function tracingPlugin (instrumentation: FastifyOtelInstrumentation): FastifyPluginAsync {
  return fp(async function tracing (app) {
    await app.register(instrumentation.plugin())

    // After @fastify/otel's own onRequest hook, which starts the span (registered just above).
    // Callback hooks: no promise per request.
    app.addHook('onRequest', (request, _reply, done) => {
      const { span } = request.opentelemetry()
      if (span != null) {
        const { traceId, spanId, traceFlags } = span.spanContext()
        // Onto the request's own logger (reply.log is the same one); a child of it cost a tenth of an
        // unsampled request's CPU. Fastify built it from pino options (app.ts), so it is pino's.
        ;(request.log as Logger).setBindings({ trace_id: traceId, span_id: spanId, trace_flags: traceFlags.toString(16).padStart(2, '0') })
      }
      done()
    })

    // Before @fastify/otel ends the span: its own onSend hook runs last. A span the sampler left out records nothing.
    app.addHook('onSend', (request, reply, payload, done) => {
      const { span } = request.opentelemetry()
      if (span?.isRecording() === true) {
        if (request.problemCode !== undefined) {
          span.setAttribute('problem.code', request.problemCode)
          // The semantic conventions' error.type, for server errors only: a 4xx is the caller's.
          if (reply.statusCode >= 500) span.setAttribute('error.type', request.problemCode)
        }
        if (reply.getHeader('idempotency-replayed') === 'true') span.addEvent('idempotency replay')
      }
      done(null, payload)
    })
  }, { name: 'tracing' })
}
