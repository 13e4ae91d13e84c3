import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { OrderBusyError } from '../../cancellation/errors.js'
import { ignoreStoreFailure } from '../errors.js'
import type { HeldLock, InDoubtItem, LockStamp, OrderLocks, WaitLimit } from '../../cancellation/ports.js'

/**
 * What a holder that had the key before left behind: the stamp of its release, or `unreleased`
 * when its lock expired instead (the replica died, or lost the store, while holding it).
 */
export type PreviousHolder = LockStamp | 'unreleased'

/** A lock store every replica shares; each operation is atomic in the store. */
export interface LockBackend {
  /** The logical clock, advanced by every release. */
  clock: () => Promise<LockStamp>
  /** Takes `key` for `token` if it is free: undefined when it is held, else what the previous holder left (0: nothing). */
  acquire: (key: string, token: string) => Promise<PreviousHolder | undefined>
  /** Frees `key` if `token` still holds it, and stamps the release. */
  release: (key: string, token: string) => Promise<void>
  /**
   * While `token` holds `key`: marks the items in doubt for `ms`, unless one is marked already
   * (returns those, marks none). Throws StoreUnavailableError when `token` no longer holds `key`.
   */
  markInDoubt: (key: string, token: string, itemIds: readonly number[], ms: number) => Promise<InDoubtItem[]>
  /** While `token` holds `key`: ends the items' marks. */
  clearInDoubt: (key: string, token: string, itemIds: readonly number[]) => Promise<void>
}

/** Waits a little before asking for a held key again; jittered, so replicas do not ask in step. */
export type PollPause = (signal: AbortSignal) => Promise<void>

const jitteredPause = (random: () => number): PollPause => async (signal) => {
  await sleep(10 + Math.floor(random() * 30), undefined, { signal })
}

/**
 * Locks shared by every replica through a LockBackend, polled until free. A lock is stale for its
 * new holder when it had to wait, when the previous holder released it after `since`, or when the
 * previous holder never released it (its effect on Gooten is unknown).
 */
export class SharedLocks implements OrderLocks {
  readonly #pause: PollPause

  constructor (private readonly backend: LockBackend, pause: PollPause = jitteredPause(Math.random)) {
    this.#pause = pause
  }

  async stamp (): Promise<LockStamp> {
    return await this.backend.clock()
  }

  async run<T>(key: string, since: LockStamp, until: WaitLimit, task: (stale: boolean, lock: HeldLock) => Promise<T>): Promise<T> {
    const token = randomUUID()
    let waited = false
    let previous: PreviousHolder | undefined
    try {
      previous = await this.backend.acquire(key, token)
      while (previous === undefined) {
        waited = true
        // Give up at the request's deadline: another cancel of this order still holds it.
        await this.#pause(until.signal).catch(() => { throw new OrderBusyError() })
        previous = await this.backend.acquire(key, token)
      }
    } catch (error) {
      // An acquire that timed out may still run in the store once it answers again (a stalled
      // Redis): the release, sent after it on the same connection, frees the lock it would leave.
      this.backend.release(key, token).catch(ignoreStoreFailure)
      throw error
    }
    try {
      const held: HeldLock = {
        markInDoubt: async (itemIds, ms) => await this.backend.markInDoubt(key, token, itemIds, ms),
        clearInDoubt: async (itemIds) => { await this.backend.clearInDoubt(key, token, itemIds) }
      }
      return await task(waited || previous === 'unreleased' || previous > since, held)
    } finally {
      // A failed release is harmless: the lock expires on its own, and its next holder re-reads.
      await this.backend.release(key, token).catch(ignoreStoreFailure)
    }
  }
}
