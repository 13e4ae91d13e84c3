import type { FastifyPluginAsync } from 'fastify'
import type { OrderLocks } from '../cancellation/ports.js'
import type { UpstreamTracer } from '../gooten/client.js'

/**
 * What buildApp needs to trace requests, built by startTracing (sdk.ts) when tracing is on. Without
 * it the app registers no tracing plugin, no hook, and calls Gooten and its locks directly.
 */
export interface AppTracing {
  /** Registered before every other plugin: it sees every route and starts each request's span first. */
  plugin: FastifyPluginAsync
  /** One span per Gooten call attempt. */
  upstream: UpstreamTracer
  /** The per-order locks, with a span for each wait. */
  locks: (locks: OrderLocks) => OrderLocks
}
