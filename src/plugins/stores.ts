import fp from 'fastify-plugin'
import type { OrderLocks } from '../cancellation/ports.js'
import { createStores, type Stores } from '../stores/index.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** Idempotency records, per-order locks and (with REDIS_URL) the Redis connection the rate limiter shares. */
    stores: Stores
  }
}

export interface StoresOptions {
  /** Replaces the per-order locks (tests). */
  locks?: OrderLocks
}

/** In-process stores by default; with REDIS_URL, Redis-backed ones every replica shares. */
export default fp<StoresOptions>(async function stores (app, options) {
  const created = await createStores(app.config, app.log, app.metrics.storeAvailable)
  app.decorate('stores', options.locks === undefined ? created : { ...created, locks: options.locks })
  app.addHook('onClose', created.close)
}, { name: 'stores', dependencies: ['metrics'] })
