import type { Redis } from 'ioredis'
import type { OrderLocks } from '../cancellation/ports.js'
import type { Config } from '../config.js'
import { InProcessLocks } from './locks/in-process.js'
import { RedisLockBackend } from './locks/redis-backend.js'
import { SharedLocks } from './locks/shared.js'
import { MemoryIdempotencyStore } from './idempotency/memory.js'
import type { StoreLogger } from './redis-connection.js'
import { RedisIdempotencyStore } from './idempotency/redis.js'
import type { IdempotencyStore } from './idempotency/types.js'

export interface Stores {
  idempotency: IdempotencyStore
  locks: OrderLocks
  /** Set when REDIS_URL is: the rate limiter shares it. */
  redis: Redis | undefined
  close: () => Promise<void>
}

const VERIFICATION_AND_MARGIN_MS = 10_000
const FIRST_CONNECT_WAIT_MS = 2000

/** In-process stores by default; with REDIS_URL, Redis-backed ones that every replica shares. */
export async function createStores (config: Config, log: StoreLogger, availability: (available: boolean) => void): Promise<Stores> {
  // A claim or lock must outlive the request that holds it: its deadline plus the verification lookup.
  const holdMs = config.upstream.timeoutMs + VERIFICATION_AND_MARGIN_MS
  if (config.redisUrl === undefined) {
    availability(true)
    return { idempotency: new MemoryIdempotencyStore(holdMs), locks: new InProcessLocks(), redis: undefined, close: async () => {} }
  }
  // Loaded only when configured: ioredis adds some 6 MB to every process that never uses it.
  const { connectRedis } = await import('./redis-connection.js')
  availability(false)
  const { redis, disconnect } = connectRedis(config.redisUrl, log, availability)
  // Start serving even if Redis is down: reads work without it and cancels answer 503 until it returns.
  await firstConnection(redis)
  return {
    idempotency: new RedisIdempotencyStore(redis, holdMs),
    locks: new SharedLocks(new RedisLockBackend(redis, holdMs)),
    redis,
    close: async () => { disconnect() }
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
