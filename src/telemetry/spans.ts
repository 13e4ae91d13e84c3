import { context, SpanStatusCode, trace, type Tracer } from '@opentelemetry/api'
import type { OrderLocks } from '../cancellation/ports.js'
import type { TracedAttempt, UpstreamTracer } from '../gooten/client.js'

/** For a request its sampler left out: the exchange runs as is, and nothing is recorded. */
const UNRECORDED: TracedAttempt = { run: async (exchange) => await exchange(), end: () => {} }

/** True inside a request span the sampler left out: its children would record nothing, so none is made. */
function inUnsampledSpan (): boolean {
  const parent = trace.getSpan(context.active())
  return parent !== undefined && !parent.isRecording()
}

/**
 * One span per Gooten call attempt, named after the operation, with the same facts as its
 * `upstream call` log line. The HTTP client span (instrumentation-undici) is its child.
 */
export function upstreamTracer (tracer: Tracer): UpstreamTracer {
  return {
    attempt: (op, attempt) => {
      if (inUnsampledSpan()) return UNRECORDED
      const span = tracer.startSpan(`gooten ${op}`, { attributes: { 'gooten.op': op, 'gooten.attempt': attempt } })
      return {
        run: async (exchange) => await context.with(trace.setSpan(context.active(), span), exchange),
        end: (status, outcome) => {
          if (status !== undefined) span.setAttribute('http.response.status_code', status)
          span.setAttribute('gooten.outcome', outcome)
          // An unknown order is an answer, not a failure of the call.
          if (outcome !== 'ok' && outcome !== 'not_found') span.setStatus({ code: SpanStatusCode.ERROR, message: outcome })
          span.end()
        }
      }
    }
  }
}

/**
 * The per-order locks with a span for each wait: it starts when the cancel asks for the lock and ends
 * when it holds it (or gives up). `order_lock.stale` says the order had to be read again under it.
 */
export function tracedLocks (locks: OrderLocks, tracer: Tracer): OrderLocks {
  return {
    stamp: async () => await locks.stamp(),
    run: async (key, since, until, task) => {
      if (inUnsampledSpan()) return await locks.run(key, since, until, task)
      // Not made the active span: the work done under the lock belongs to the request, not to the wait.
      const wait = tracer.startSpan('order lock wait', { attributes: { 'order_lock.key': key } })
      let held = false
      try {
        return await locks.run(key, since, until, async (stale) => {
          held = true
          wait.setAttribute('order_lock.stale', stale)
          wait.end()
          return await task(stale)
        })
      } catch (error) {
        if (!held) {
          wait.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).name })
          wait.end()
        }
        throw error
      }
    }
  }
}
