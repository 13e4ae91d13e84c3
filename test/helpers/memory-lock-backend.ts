import type { LockStamp } from '../../src/cancellation/ports.js'
import type { LockBackend, PreviousHolder } from '../../src/stores/locks/shared.js'

/** A point where a store round trip may be held up (a fast-check scheduler decides when it goes on). */
export type Hop = (label: string) => Promise<void>

/**
 * The lock store the Redis scripts implement, in memory, shared by every "replica" of a test: each
 * operation runs atomically between two hops (the request reaching the store, its answer coming back).
 */
export class MemoryLockBackend implements LockBackend {
  #clock = 0
  readonly #holders = new Map<string, string>()
  readonly #previous = new Map<string, PreviousHolder>()

  constructor (private readonly hop: Hop = async () => {}) {}

  async clock (): Promise<LockStamp> {
    await this.hop('clock sent')
    const clock = this.#clock
    await this.hop('clock answered')
    return clock
  }

  async acquire (key: string, token: string): Promise<PreviousHolder | undefined> {
    await this.hop(`acquire ${key} sent`)
    let previous: PreviousHolder | undefined
    if (!this.#holders.has(key)) {
      this.#holders.set(key, token)
      previous = this.#previous.get(key) ?? 0
      this.#previous.set(key, 'unreleased')
    }
    await this.hop(`acquire ${key} answered`)
    return previous
  }

  async release (key: string, token: string): Promise<void> {
    await this.hop(`release ${key} sent`)
    if (this.#holders.get(key) === token) {
      this.#holders.delete(key)
      this.#previous.set(key, ++this.#clock)
    }
    await this.hop(`release ${key} answered`)
  }

  /** The holder's lock runs out, as when its replica dies: no release is stamped. */
  expire (key: string): void {
    this.#holders.delete(key)
  }

  get held (): string[] {
    return [...this.#holders.keys()]
  }
}
