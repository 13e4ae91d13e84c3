import fp from 'fastify-plugin'
import { Pool, type Dispatcher } from 'undici'
import type { OrderLocks } from '../cancellation/ports.js'
import { CancellationService } from '../cancellation/service.js'
import { Bulkhead } from '../gooten/bulkhead.js'
import { CircuitBreaker } from '../gooten/circuit-breaker.js'
import { GootenClient, type UpstreamTracer } from '../gooten/client.js'
import { RetryBudget } from '../gooten/retry-budget.js'
import type { GootenCredentials } from '../secrets/live-secrets.js'

declare module 'fastify' {
  interface FastifyInstance {
    cancellation: CancellationService
    circuit: CircuitBreaker
  }
}

export interface GootenPluginOptions {
  /** Replaces the connection pool to Gooten (tests); closed by its owner, not by us. */
  dispatcher?: Dispatcher
  /** Set only when tracing is on: traces each Gooten call and each wait for an order's lock. */
  tracing?: { upstream: UpstreamTracer, locks: (locks: OrderLocks) => OrderLocks }
}

const CONNECT_TIMEOUT_MS = 2000
// Below the 5 s keep-alive Node and IIS servers default to, so we never reuse a socket Gooten is closing.
const KEEP_ALIVE_TIMEOUT_MS = 4000
// Kept back from each cancel call for the lookup that verifies an ambiguous one, within the deadline.
const VERIFICATION_RESERVE_MS = 2000

/** The Gooten adapter and the cancellation domain, wired once per app. */
export default fp<GootenPluginOptions>(async function gooten (app, { dispatcher, tracing }) {
  const { gooten, upstream } = app.config
  if (gooten.plainHttp) {
    app.log.warn({ gootenBaseUrl: gooten.baseUrl }, 'GOOTEN_ALLOW_PLAIN_HTTP: Gooten is called over plain http, credentials unencrypted; meant for the simulator only')
  }
  const pool = dispatcher ?? new Pool(gooten.baseUrl, {
    connections: upstream.maxInFlight,
    connect: { timeout: CONNECT_TIMEOUT_MS },
    keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
    keepAliveMaxTimeout: KEEP_ALIVE_TIMEOUT_MS
  })
  if (dispatcher === undefined) app.addHook('onClose', async () => await pool.close())

  const circuit = new CircuitBreaker({
    failureThreshold: upstream.circuitFailureThreshold,
    openMs: upstream.circuitOpenMs,
    onStateChange: (state) => {
      app.metrics.circuit(state)
      app.log.warn({ circuit: state }, 'Gooten circuit breaker changed state')
    }
  })
  const bulkhead = new Bulkhead(upstream.maxInFlight, upstream.queueLimit)
  app.metrics.watchInFlight(() => bulkhead.active)
  const retryBudget = new RetryBudget()
  const locks = tracing === undefined ? app.stores.locks : tracing.locks(app.stores.locks)
  // One service per generation of Gooten credentials, sharing the pool, bulkhead, circuit and budget. A
  // request takes the service once, at its start: a rotation mid-request does not change its credentials.
  const serviceFor = ({ recipeId, partnerBillingKey }: GootenCredentials): CancellationService => new CancellationService({
    gooten: new GootenClient({
      origin: gooten.baseUrl,
      recipeId: recipeId.reveal(),
      partnerBillingKey: partnerBillingKey.reveal(),
      dispatcher: pool,
      bulkhead,
      circuit,
      retryBudget,
      observer: app.metrics,
      tracer: tracing?.upstream
    }),
    locks,
    verificationReserveMs: VERIFICATION_RESERVE_MS,
    inDoubtMs: app.config.locks.inDoubtMs
  })
  let credentials = app.secrets.gooten
  let current = serviceFor(credentials)
  app.secrets.onChange(() => {
    if (app.secrets.gooten === credentials) return
    credentials = app.secrets.gooten
    current = serviceFor(credentials)
  })
  app.decorate('circuit', circuit)
  app.decorate('cancellation', { getter: () => current })
}, { name: 'gooten', dependencies: ['metrics', 'stores'] })
