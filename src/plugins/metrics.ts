import fp from 'fastify-plugin'
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import type { UpstreamObserver } from '../gooten/client.js'
import type { CircuitState } from '../gooten/circuit-breaker.js'
import { problemResponse } from '../http/problem-responses.js'

export interface ServiceMetrics extends UpstreamObserver {
  inFlight: (count: number) => void
  circuit: (state: CircuitState) => void
}

declare module 'fastify' {
  interface FastifyInstance {
    metrics: ServiceMetrics
  }
}

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
const CIRCUIT_STATES: CircuitState[] = ['closed', 'half_open', 'open']

/** Prometheus metrics on a registry of this app's own, served at GET /metrics. */
export default fp<{ processMetrics: boolean }>(async function metrics (app, options) {
  const registry = new Registry()
  // Process metrics (heap, event loop lag) observe the whole process: once per process, by the server.
  if (options.processMetrics) collectDefaultMetrics({ register: registry })

  const requests = new Counter({ name: 'http_requests_total', help: 'Requests answered, by route and status', labelNames: ['method', 'route', 'status'], registers: [registry] })
  const requestSeconds = new Histogram({ name: 'http_request_duration_seconds', help: 'Request latency', labelNames: ['method', 'route', 'status'], buckets: LATENCY_BUCKETS, registers: [registry] })
  const upstreamCalls = new Counter({ name: 'gooten_upstream_calls_total', help: 'Calls to Gooten, by operation and outcome', labelNames: ['op', 'outcome'], registers: [registry] })
  const upstreamSeconds = new Histogram({ name: 'gooten_upstream_call_duration_seconds', help: 'Gooten call latency', labelNames: ['op', 'outcome'], buckets: LATENCY_BUCKETS, registers: [registry] })
  const retries = new Counter({ name: 'gooten_upstream_retries_total', help: 'Retried Gooten calls, by operation', labelNames: ['op'], registers: [registry] })
  const inFlight = new Gauge({ name: 'gooten_upstream_in_flight', help: 'Gooten calls in flight', registers: [registry] })
  const circuit = new Gauge({ name: 'gooten_upstream_circuit_state', help: '1 for the circuit breaker\'s current state', labelNames: ['state'], registers: [registry] })
  for (const state of CIRCUIT_STATES) circuit.set({ state }, state === 'closed' ? 1 : 0)

  app.decorate('metrics', {
    callFinished: (op, outcome, seconds) => {
      upstreamCalls.inc({ op, outcome })
      upstreamSeconds.observe({ op, outcome }, seconds)
    },
    retried: (op) => retries.inc({ op }),
    inFlight: (count) => inFlight.set(count),
    circuit: (current) => {
      for (const state of CIRCUIT_STATES) circuit.set({ state }, state === current ? 1 : 0)
    }
  } satisfies ServiceMetrics)

  app.addHook('onResponse', async (request, reply) => {
    const labels = { method: request.method, route: request.routeOptions.url ?? '<unmatched>', status: String(reply.statusCode) }
    requests.inc(labels)
    requestSeconds.observe(labels, reply.elapsedTime / 1000)
  })

  app.get('/metrics', {
    schema: {
      tags: ['operations'],
      operationId: 'getMetrics',
      summary: 'Prometheus metrics',
      description: 'Request counts and latencies by route and status; Gooten calls by operation and outcome; retries; circuit state; calls in flight. Needs no caller key: keep it on the internal network.',
      security: [],
      produces: ['text/plain'],
      response: {
        200: {
          description: 'Prometheus text exposition format',
          type: 'string',
          examples: ['# HELP gooten_upstream_in_flight Gooten calls in flight\n# TYPE gooten_upstream_in_flight gauge\ngooten_upstream_in_flight 0\n']
        },
        417: problemResponse(['EXPECTATION_FAILED']),
        // Draining turns every route but /health/* away; load shedding every route but liveness.
        503: problemResponse(['NOT_READY', 'SERVICE_OVERLOADED'])
      }
    }
  }, async (_request, reply) => {
    reply.type(registry.contentType)
    return await registry.metrics()
  })
}, { name: 'metrics' })
