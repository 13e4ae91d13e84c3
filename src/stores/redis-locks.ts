import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Redis } from 'ioredis'
import type { OrderLocks } from '../cancellation/ports.js'
import { GootenError } from '../gooten/errors.js'
import { StoreUnavailableError } from './types.js'

const RELEASE_IF_OURS = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0`

/**
 * Per-key locks in Redis shared by every replica: SET NX PX with a random token, released only
 * by its holder. The expiry outlives any one request (deadline plus verification), so a replica
 * that dies holding a lock blocks others for that long at most.
 */
export class RedisLocks implements OrderLocks {
  constructor (
    private readonly redis: Redis,
    private readonly lockTtlMs: number,
    private readonly prefix = 'gop:lock:',
    private readonly random: () => number = Math.random
  ) {}

  async run<T>(key: string, signal: AbortSignal, task: (waited: boolean) => Promise<T>): Promise<T> {
    const token = randomUUID()
    const redisKey = this.prefix + key
    const waited = await this.#acquire(redisKey, token, signal)
    try {
      return await task(waited)
    } finally {
      // A failed release is harmless: the lock expires on its own.
      await this.redis.eval(RELEASE_IF_OURS, 1, redisKey, token).catch(() => {})
    }
  }

  /** Resolves once the lock is ours, with whether another holder had to be waited for. */
  async #acquire (redisKey: string, token: string, signal: AbortSignal): Promise<boolean> {
    for (let attempt = 0; ; attempt++) {
      let acquired: string | null
      try {
        acquired = await this.redis.set(redisKey, token, 'PX', this.lockTtlMs, 'NX')
      } catch {
        throw new StoreUnavailableError('the lock store is unavailable')
      }
      if (acquired === 'OK') return attempt > 0
      // Poll with jitter until the holder releases; give up at the request's deadline.
      await sleep(10 + Math.floor(this.random() * 30), undefined, { signal }).catch(() => {
        throw new GootenError('timeout', 'cancelItems', 'the request deadline passed while another cancel of this order ran', { neverSent: true })
      })
    }
  }
}
