import type { Redis } from 'ioredis'
import type { OrderLocks } from '../cancellation/ports.js'
import { LOCK_MARGIN_MS, type Config } from '../config.js'
import { ignoreStoreFailure } from './errors.js'
import { InProcessLocks } from './locks/in-process.js'
import { RedisLockBackend } from './locks/redis-backend.js'
import { SharedLocks } from './locks/shared.js'
import { MemoryConfirmationStore } from './confirmations/memory.js'
import { RedisConfirmationStore } from './confirmations/redis.js'
import type { ConfirmationStore } from './confirmations/types.js'
import { MemoryIdempotencyStore } from './idempotency/memory.js'
import { LockDelayWatch, type LockDelayGauge } from './lock-delay-watch.js'
import type { StoreLogger } from './redis-connection.js'
import { RedisIdempotencyStore } from './idempotency/redis.js'
import type { IdempotencyStore } from './idempotency/types.js'

export interface Stores {
  idempotency: IdempotencyStore
  /** What MCP previews promised, beside the idempotency records that make each confirmation single use. */
  confirmations: ConfirmationStore
  locks: OrderLocks
  /** Set when REDIS_URL is: the rate limiter shares it. */
  redis: Redis | undefined
  close: () => Promise<void>
}

const FIRST_CONNECT_WAIT_MS = 2000

/** In-process stores by default; with REDIS_URL, Redis-backed ones that every replica shares. */
export async function createStores (config: Config, log: StoreLogger, availability: (available: boolean) => void, lockDelayGauge: LockDelayGauge): Promise<Stores> {
  // A claim or lock must outlive the request that holds it: its deadline plus the verification lookup.
  const holdMs = config.upstream.timeoutMs + LOCK_MARGIN_MS
  if (config.redisUrl === undefined) {
    availability(true)
    return { idempotency: new MemoryIdempotencyStore(holdMs), confirmations: new MemoryConfirmationStore(), locks: new InProcessLocks(), redis: undefined, close: async () => {} }
  }
  const { lockDelayMs, safeLockDelayMs } = config.locks
  if (lockDelayMs < safeLockDelayMs) {
    log.warn({ lockDelayMs, safeLockDelayMs }, 'STORE_LOCK_DELAY_MS is below UPSTREAM_TIMEOUT_MS + 10 s + CANCEL_IN_DOUBT_MS: after Redis loses its keys, an item may be cancelled twice')
  }
  // Loaded only when configured: ioredis adds some 6 MB to every process that never uses it.
  const { connectRedis } = await import('./redis-connection.js')
  availability(false)
  const { redis, disconnect } = connectRedis(config.redisUrl, log, availability)
  const watch = new LockDelayWatch(log, lockDelayGauge)
  const backend = new RedisLockBackend(redis, holdMs, { lockDelayMs, onLockDelay: watch.report })
  // Each (re)connection may reach a Redis that restarted or failed over: look for a loss at once,
  // rather than at the next cancel, so that the metric shows it.
  redis.on('ready', () => { backend.lockDelay().catch(ignoreStoreFailure) })
  // Start serving even if Redis is down: reads work without it and cancels answer 503 until it returns.
  await firstConnection(redis)
  return {
    idempotency: new RedisIdempotencyStore(redis, holdMs),
    confirmations: new RedisConfirmationStore(redis),
    locks: new SharedLocks(backend),
    redis,
    close: async () => {
      watch.close()
      disconnect()
    }
  }
}

/** Waits for the first connection, for FIRST_CONNECT_WAIT_MS at most; a refused one is not an error here. */
async function firstConnection (redis: Redis): Promise<void> {
  await new Promise<void>((resolve) => {
    const done = (): void => {
      clearTimeout(timer)
      redis.off('ready', done)
      resolve()
    }
    const timer = setTimeout(done, FIRST_CONNECT_WAIT_MS)
    redis.once('ready', done)
  })
}
