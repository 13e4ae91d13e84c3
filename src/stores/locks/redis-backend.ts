import type { Redis, Result } from 'ioredis'
import type { LockStamp } from '../../cancellation/ports.js'
import { StoreUnavailableError } from '../errors.js'
import type { LockBackend, PreviousHolder } from './shared.js'

declare module 'ioredis' {
  interface RedisCommander<Context> {
    gopLockAcquire: (lockKey: string, stampKey: string, token: string, lockTtlMs: number, stampTtlMs: number) => Result<string | null, Context>
    gopLockRelease: (lockKey: string, stampKey: string, clockKey: string, token: string, stampTtlMs: number) => Result<number, Context>
  }
}

// SET NX PX takes the lock; the stamp key then says what the previous holder left, and is marked
// 'unreleased' until this holder's release overwrites it.
const ACQUIRE = `
if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return false end
local previous = redis.call('GET', KEYS[2])
redis.call('SET', KEYS[2], 'unreleased', 'PX', ARGV[3])
return previous or '0'`

// Only the holder releases; its release advances the shared clock and is stamped with it. A clock
// that is missing (a Redis restarted empty, a flush) starts again from the server's time in
// microseconds, not from 0: it never falls below a stamp taken before it was lost, because releases
// come far less often than once a microsecond. Otherwise a cancel that took its stamp before the
// loss would trust a read that another cancel made stale after it.
const RELEASE = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
if redis.call('EXISTS', KEYS[3]) == 0 then
  local now = redis.call('TIME')
  redis.call('SET', KEYS[3], now[1] .. string.rep('0', 6 - #now[2]) .. now[2])
end
redis.call('SET', KEYS[2], redis.call('INCR', KEYS[3]), 'PX', ARGV[2])
return 1`

/**
 * Locks in one Redis (a single primary: the scripts touch the shared clock key beside each lock).
 * A lock expires after `lockTtlMs`, which outlives any one request, so a replica that dies holding
 * one blocks that order for that long at most. Stamps live twice as long: longer than any request
 * can take between its stamp and its lock.
 */
export class RedisLockBackend implements LockBackend {
  readonly #stampTtlMs: number

  constructor (
    private readonly redis: Redis,
    private readonly lockTtlMs: number,
    private readonly prefix = 'gop:lock:'
  ) {
    this.#stampTtlMs = 2 * lockTtlMs
    redis.defineCommand('gopLockAcquire', { numberOfKeys: 2, lua: ACQUIRE })
    redis.defineCommand('gopLockRelease', { numberOfKeys: 3, lua: RELEASE })
  }

  async clock (): Promise<LockStamp> {
    return Number(await this.#command(async () => await this.redis.get(`${this.prefix}clock`)) ?? 0)
  }

  async acquire (key: string, token: string): Promise<PreviousHolder | undefined> {
    const previous = await this.#command(async () =>
      await this.redis.gopLockAcquire(this.#lockKey(key), this.#stampKey(key), token, this.lockTtlMs, this.#stampTtlMs))
    if (previous === null) return undefined
    return previous === 'unreleased' ? 'unreleased' : Number(previous)
  }

  async release (key: string, token: string): Promise<void> {
    await this.#command(async () =>
      await this.redis.gopLockRelease(this.#lockKey(key), this.#stampKey(key), `${this.prefix}clock`, token, this.#stampTtlMs))
  }

  #lockKey (key: string): string {
    return `${this.prefix}held:${key}`
  }

  #stampKey (key: string): string {
    return `${this.prefix}released:${key}`
  }

  async #command<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run()
    } catch {
      throw new StoreUnavailableError('the lock store is unavailable')
    }
  }
}
