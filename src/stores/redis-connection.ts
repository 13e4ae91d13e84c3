import { Redis } from 'ioredis'

export interface StoreLogger {
  warn: (object: object, message: string) => void
  info: (object: object, message: string) => void
}

export interface RedisConnection {
  redis: Redis
  disconnect: () => void
}

/**
 * A Redis connection that fails fast while Redis is away (no offline queue, short timeouts)
 * and reconnects on its own: a cancel then answers 503 at once instead of hanging. `availability` hears
 * each change, for the metrics.
 */
export function connectRedis (url: string, log: StoreLogger, availability: (available: boolean) => void = () => {}): RedisConnection {
  const redis = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 1000,
    commandTimeout: 1000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2000)
  })
  let healthy = true
  let closing = false
  // Once per outage, not once per reconnect attempt; the URL may hold a password, so it is never logged.
  const lost = (): void => {
    if (healthy && !closing) log.warn({ store: 'redis' }, 'Redis is unavailable; cancels answer 503 until it returns')
    healthy = false
    availability(false)
  }
  redis.on('error', lost)
  redis.on('close', lost)
  redis.on('ready', () => {
    if (!healthy) log.info({ store: 'redis' }, 'Redis is available again')
    healthy = true
    availability(true)
  })
  return {
    redis,
    disconnect: () => {
      closing = true
      redis.disconnect()
    }
  }
}
