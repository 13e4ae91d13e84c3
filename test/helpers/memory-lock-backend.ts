import type { InDoubtItem, LockStamp } from '../../src/cancellation/ports.js'
import { LockDelayError, StoreUnavailableError } from '../../src/stores/errors.js'
import type { LockBackend, PreviousHolder } from '../../src/stores/locks/shared.js'

/** A point where a store round trip may be held up (a fast-check scheduler decides when it goes on). */
export type Hop = (label: string) => Promise<void>

export interface MemoryLockBackendOptions {
  /** The store's clock, in ms: in-doubt marks and the lock-delay run on it. */
  now?: () => number
  /** No lock for this long after the store lost its state. */
  lockDelayMs?: number
}

/**
 * The lock store the Redis scripts implement, in memory, shared by every "replica" of a test: each
 * operation runs atomically between two hops (the request reaching the store, its answer coming back).
 * It can lose everything at once, as a flushed or restarted Redis does, and then grants no lock
 * until its lock-delay has passed.
 */
export class MemoryLockBackend implements LockBackend {
  /** Undefined once lost: reads 0, and the next release starts it again above every stamp handed out. */
  #clock: number | undefined = 0
  #clockRestart = 0
  readonly #holders = new Map<string, string>()
  readonly #previous = new Map<string, PreviousHolder>()
  /** key:item → when the mark ends. */
  readonly #marks = new Map<string, number>()
  /** When locks are granted from; undefined: the epoch was lost and starts at the next lock asked for. */
  #notBefore: number | undefined = 0
  readonly #now: () => number
  readonly #lockDelayMs: number

  constructor (private readonly hop: Hop = async () => {}, options: MemoryLockBackendOptions = {}) {
    this.#now = options.now ?? (() => 0)
    this.#lockDelayMs = options.lockDelayMs ?? 0
  }

  async clock (): Promise<LockStamp> {
    await this.hop('clock sent')
    const clock = this.#clock ?? 0
    await this.hop('clock answered')
    return clock
  }

  async acquire (key: string, token: string): Promise<PreviousHolder | undefined> {
    await this.hop(`acquire ${key} sent`)
    this.#notBefore ??= this.#now() + this.#lockDelayMs
    const waitMs = this.#notBefore - this.#now()
    let previous: PreviousHolder | undefined
    if (waitMs <= 0 && !this.#holders.has(key)) {
      this.#holders.set(key, token)
      previous = this.#previous.get(key) ?? 0
      this.#previous.set(key, 'unreleased')
    }
    await this.hop(`acquire ${key} answered`)
    if (waitMs > 0) throw new LockDelayError(waitMs)
    return previous
  }

  async release (key: string, token: string): Promise<void> {
    await this.hop(`release ${key} sent`)
    if (this.#holders.get(key) === token) {
      this.#holders.delete(key)
      this.#clock = (this.#clock ?? this.#clockRestart) + 1
      this.#previous.set(key, this.#clock)
    }
    await this.hop(`release ${key} answered`)
  }

  async markInDoubt (key: string, token: string, itemIds: readonly number[], ms: number): Promise<InDoubtItem[]> {
    await this.hop(`mark ${key} sent`)
    const now = this.#now()
    const held = this.#holders.get(key) === token
    const marked = itemIds
      .map((itemId) => ({ itemId, remainingMs: (this.#marks.get(`${key}:${itemId}`) ?? now) - now }))
      .filter((item) => item.remainingMs > 0)
    if (held && marked.length === 0) for (const itemId of itemIds) this.#marks.set(`${key}:${itemId}`, now + ms)
    await this.hop(`mark ${key} answered`)
    if (!held) throw new StoreUnavailableError('the lock was lost')
    return marked
  }

  async clearInDoubt (key: string, token: string, itemIds: readonly number[]): Promise<void> {
    await this.hop(`clear ${key} sent`)
    if (this.#holders.get(key) === token) for (const itemId of itemIds) this.#marks.delete(`${key}:${itemId}`)
    await this.hop(`clear ${key} answered`)
  }

  /** The holder's lock runs out, as when its replica dies: no release is stamped. */
  expire (key: string): void {
    this.#holders.delete(key)
  }

  /**
   * Every key is gone, as after FLUSHALL or a restart without persistence. The release clock starts
   * again above every stamp handed out (Redis's restarts from its time in microseconds).
   */
  loseEverything (): void {
    this.#holders.clear()
    this.#previous.clear()
    this.#marks.clear()
    this.#clockRestart = (this.#clock ?? this.#clockRestart) + 1_000_000
    this.#clock = undefined
    this.#notBefore = undefined
  }

  get held (): string[] {
    return [...this.#holders.keys()]
  }
}
