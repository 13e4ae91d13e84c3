import fp from 'fastify-plugin'
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import type { UpstreamObserver } from '../gooten/client.js'
import type { CircuitState } from '../gooten/circuit-breaker.js'
import { problemResponse } from '../http/problem-responses.js'

export interface ServiceMetrics extends UpstreamObserver {
  inFlight: (count: number) => void
  circuit: (state: CircuitState) => void
  /** Items a cancel with an unknown outcome left in doubt. */
  itemsInDoubt: (count: number) => void
  /** Whether a lock-delay after a loss of the lock store's state is in force. */
  storeLockDelay: (inForce: boolean) => void
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
  const inDoubt = new Counter({ name: 'gooten_proxy_items_in_doubt_total', help: 'Items left in doubt by a cancel call whose outcome is unknown', registers: [registry] })
  const lockDelay = new Gauge({ name: 'gooten_proxy_store_lock_delay', help: '1 while cancels wait out a lock-delay after the lock store lost its state', registers: [registry] })
  lockDelay.set(0)

  // Label sets bound once and kept: prom-client hashes a labels object on every inc() and observe().
  const bound = <T extends { labels: (labels: Record<string, string>) => unknown }>(metric: T) => {
    const children = new Map<string, ReturnType<T['labels']>>()
    return (key: string, labels: Record<string, string>): ReturnType<T['labels']> => {
      let child = children.get(key)
      if (child === undefined) {
        child = metric.labels(labels) as ReturnType<T['labels']>
        children.set(key, child)
      }
      return child
    }
  }
  const requestCount = bound(requests)
  const requestLatency = bound(requestSeconds)
  const callCount = bound(upstreamCalls)
  const callLatency = bound(upstreamSeconds)

  app.decorate('metrics', {
    callFinished: (op, outcome, seconds) => {
      const key = `${op} ${outcome}`
      callCount(key, { op, outcome }).inc()
      callLatency(key, { op, outcome }).observe(seconds)
    },
    retried: (op) => retries.inc({ op }),
    inFlight: (count) => inFlight.set(count),
    circuit: (current) => {
      for (const state of CIRCUIT_STATES) circuit.set({ state }, state === current ? 1 : 0)
    },
    itemsInDoubt: (count) => inDoubt.inc(count),
    storeLockDelay: (inForce) => lockDelay.set(inForce ? 1 : 0)
  } satisfies ServiceMetrics)

  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? '<unmatched>'
    const status = reply.statusCode
    const key = `${request.method} ${route} ${status}`
    const labels = { method: request.method, route, status: String(status) }
    requestCount(key, labels).inc()
    requestLatency(key, labels).observe(reply.elapsedTime / 1000)
    done()
  })

  app.get('/metrics', {
    schema: {
      tags: ['operations'],
      operationId: 'getMetrics',
      summary: 'Prometheus metrics',
      description: 'Request counts and latencies by route and status; Gooten calls by operation and outcome; retries; circuit state; calls in flight; items left in doubt; whether a lock-delay is in force. Needs no caller key: keep it on the internal network.',
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
