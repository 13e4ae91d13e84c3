import type { Redis, Result } from 'ioredis'
import type { InDoubtItem, LockStamp } from '../../cancellation/ports.js'
import { LockDelayError, StoreUnavailableError } from '../errors.js'
import type { LockBackend, PreviousHolder } from './shared.js'

type Acquired = string | null | [delay: 'delay', waitMs: number, detected: number]

declare module 'ioredis' {
  interface RedisCommander<Context> {
    gopLockAcquire: (lockKey: string, stampKey: string, epochKey: string, token: string, lockTtlMs: number, stampTtlMs: number, lockDelayMs: number) => Result<Acquired, Context>
    gopLockRelease: (lockKey: string, stampKey: string, clockKey: string, token: string, stampTtlMs: number) => Result<number, Context>
    gopLockDelay: (epochKey: string, lockDelayMs: number) => Result<[waitMs: number, detected: number], Context>
    gopMarkInDoubt: (keyCount: number, ...keysThenArgs: Array<string | number>) => Result<number[] | null, Context>
    gopClearInDoubt: (keyCount: number, ...keysThenArgs: Array<string | number>) => Result<number, Context>
  }
}

// The epoch key names the Redis instance (its run_id) that holds our keys, and the time from which
// it grants locks. A store that lost its keys (flushed, restarted empty) has no epoch; one restarted
// from a snapshot or an append-only file, or failed over to a replica, may lack the last writes and
// names another run_id. Either way, a lock or in-doubt mark may have gone while its cancel call is
// still out, so a new epoch starts that grants no lock for the lock-delay. A fresh Redis looks the
// same, and costs one lock-delay. Time is the server's, in milliseconds.
const LOCK_DELAY = `
local function lock_delay (epochKey, delayMs)
  local run = string.match(redis.call('INFO', 'server'), 'run_id:(%x+)')
  local time = redis.call('TIME')
  local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
  local epoch = redis.call('GET', epochKey)
  local notBefore
  if epoch then
    local epochRun, epochNotBefore = string.match(epoch, '^(%x+):(%d+)$')
    if epochRun == run then notBefore = tonumber(epochNotBefore) end
  end
  local detected = 0
  if not notBefore then
    notBefore = now + tonumber(delayMs)
    redis.call('SET', epochKey, run .. ':' .. string.format('%d', notBefore))
    detected = 1
  end
  return math.max(0, notBefore - now), detected
end
`

// SET NX PX takes the lock; the stamp key then says what the previous holder left, and is marked
// 'unreleased' until this holder's release overwrites it.
const ACQUIRE = `${LOCK_DELAY}
local wait, detected = lock_delay(KEYS[3], ARGV[4])
if wait > 0 then return {'delay', wait, detected} end
if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return false end
local previous = redis.call('GET', KEYS[2])
redis.call('SET', KEYS[2], 'unreleased', 'PX', ARGV[3])
return previous or '0'`

const CHECK_LOCK_DELAY = `${LOCK_DELAY}
local wait, detected = lock_delay(KEYS[1], ARGV[1])
return {wait, detected}`

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

// KEYS[1] is the lock, the others the items' marks. Only while the lock is still this holder's (a
// store that lost it answers nil): all marked, or none, and then the position and time left of
// each mark found, flattened.
const MARK_IN_DOUBT = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return false end
local marked = {}
for i = 2, #KEYS do
  local left = redis.call('PTTL', KEYS[i])
  if left > 0 then
    table.insert(marked, i - 1)
    table.insert(marked, left)
  end
end
if #marked > 0 then return marked end
for i = 2, #KEYS do redis.call('SET', KEYS[i], '1', 'PX', ARGV[2]) end
return marked`

const CLEAR_IN_DOUBT = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
for i = 2, #KEYS do redis.call('DEL', KEYS[i]) end
return 1`

export interface RedisLockBackendOptions {
  /** After the store lost its state, no lock for this long (0: none; the in-doubt marks are then unprotected). */
  lockDelayMs?: number
  /** Told each time a lock is refused for a lock-delay, or one is found in force; `detected`: the loss was just found. */
  onLockDelay?: (remainingMs: number, detected: boolean) => void
  prefix?: string
}

/**
 * Locks and in-doubt marks in one Redis (a single primary: the scripts touch the shared clock and
 * epoch keys beside each lock). A lock expires after `lockTtlMs`, which outlives any one request, so
 * a replica that dies holding one blocks that order for that long at most. Stamps live twice as
 * long: longer than any request can take between its stamp and its lock.
 */
export class RedisLockBackend implements LockBackend {
  readonly #stampTtlMs: number
  readonly #lockDelayMs: number
  readonly #onLockDelay: (remainingMs: number, detected: boolean) => void
  readonly #prefix: string

  constructor (private readonly redis: Redis, private readonly lockTtlMs: number, options: RedisLockBackendOptions = {}) {
    this.#stampTtlMs = 2 * lockTtlMs
    this.#lockDelayMs = options.lockDelayMs ?? 0
    this.#onLockDelay = options.onLockDelay ?? (() => {})
    this.#prefix = options.prefix ?? 'gop:lock:'
    redis.defineCommand('gopLockAcquire', { numberOfKeys: 3, lua: ACQUIRE })
    redis.defineCommand('gopLockRelease', { numberOfKeys: 3, lua: RELEASE })
    redis.defineCommand('gopLockDelay', { numberOfKeys: 1, lua: CHECK_LOCK_DELAY })
    redis.defineCommand('gopMarkInDoubt', { lua: MARK_IN_DOUBT })
    redis.defineCommand('gopClearInDoubt', { lua: CLEAR_IN_DOUBT })
  }

  async clock (): Promise<LockStamp> {
    return Number(await this.#command(async () => await this.redis.get(`${this.#prefix}clock`)) ?? 0)
  }

  async acquire (key: string, token: string): Promise<PreviousHolder | undefined> {
    const previous = await this.#command(async () => await this.redis.gopLockAcquire(
      this.#lockKey(key), this.#stampKey(key), this.#epochKey, token, this.lockTtlMs, this.#stampTtlMs, this.#lockDelayMs))
    if (Array.isArray(previous)) throw this.#delayed(previous[1], previous[2] === 1)
    if (previous === null) return undefined
    return previous === 'unreleased' ? 'unreleased' : Number(previous)
  }

  async release (key: string, token: string): Promise<void> {
    await this.#command(async () =>
      await this.redis.gopLockRelease(this.#lockKey(key), this.#stampKey(key), `${this.#prefix}clock`, token, this.#stampTtlMs))
  }

  /**
   * Looks for a loss of state without waiting for a cancel (on each connection): the time the
   * lock-delay still runs, 0 when none.
   */
  async lockDelay (): Promise<number> {
    const [waitMs, detected] = await this.#command(async () => await this.redis.gopLockDelay(this.#epochKey, this.#lockDelayMs))
    if (waitMs > 0) this.#onLockDelay(waitMs, detected === 1)
    return waitMs
  }

  async markInDoubt (key: string, token: string, itemIds: readonly number[], ms: number): Promise<InDoubtItem[]> {
    const marked = await this.#command(async () => await this.redis.gopMarkInDoubt(
      1 + itemIds.length, this.#lockKey(key), ...itemIds.map((itemId) => this.#markKey(key, itemId)), token, Math.ceil(ms)))
    if (marked === null) throw new StoreUnavailableError('the lock was lost before the cancel call was sent')
    const found: InDoubtItem[] = []
    for (let i = 0; i < marked.length; i += 2) {
      found.push({ itemId: itemIds[(marked[i] as number) - 1] as number, remainingMs: marked[i + 1] as number })
    }
    return found
  }

  async clearInDoubt (key: string, token: string, itemIds: readonly number[]): Promise<void> {
    await this.#command(async () => await this.redis.gopClearInDoubt(
      1 + itemIds.length, this.#lockKey(key), ...itemIds.map((itemId) => this.#markKey(key, itemId)), token))
  }

  #delayed (waitMs: number, detected: boolean): LockDelayError {
    this.#onLockDelay(waitMs, detected)
    return new LockDelayError(waitMs)
  }

  get #epochKey (): string {
    return `${this.#prefix}epoch`
  }

  #lockKey (key: string): string {
    return `${this.#prefix}held:${key}`
  }

  #stampKey (key: string): string {
    return `${this.#prefix}released:${key}`
  }

  #markKey (key: string, itemId: number): string {
    return `${this.#prefix}doubt:${key}:${itemId}`
  }

  async #command<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run()
    } catch {
      throw new StoreUnavailableError('the lock store is unavailable')
    }
  }
}
