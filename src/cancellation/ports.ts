import type { CallContext } from '../gooten/client.js'
import type { GootenCancelReply, GootenOrder } from '../gooten/types.js'

/** What the domain needs from Gooten; GootenClient provides it. */
export interface GootenGateway {
  getOrder: (orderId: string, context: CallContext) => Promise<GootenOrder>
  cancelItems: (gootenId: number, itemIds: readonly number[], context: CallContext) => Promise<GootenCancelReply>
}

/** What a wait gives up at. Its signal is read only by a wait that actually happens (making one costs). */
export interface WaitLimit {
  readonly signal: AbortSignal
}

/** A reading of the lock store's logical clock, which advances whenever any lock is released. */
export type LockStamp = number

/** An item a cancel was sent for, whose outcome is not known yet, and how long its mark has left. */
export interface InDoubtItem {
  itemId: number
  remainingMs: number
}

/**
 * What a task may do while it holds a lock: mark items in doubt before their cancel call is sent,
 * and end the marks once Gooten's answer is known. A mark lives in the store the locks live in.
 */
export interface HeldLock {
  /**
   * Marks every item in doubt for `ms`, unless one of them is marked already: then nothing is
   * marked, and the marked ones are returned. Throws StoreUnavailableError when the mark cannot
   * be written, or this lock is no longer held (the store lost it): the cancel must not be sent.
   */
  markInDoubt: (itemIds: readonly number[], ms: number) => Promise<InDoubtItem[]>
  /** The outcome is known: the marks end (if this lock is still held; otherwise they run out). */
  clearInDoubt: (itemIds: readonly number[]) => Promise<void>
}

/**
 * Per-key mutual exclusion (in this process, or across replicas) with optimistic reads: take a
 * stamp, read what the lock protects, then run under the lock; the task learns whether the key
 * was held by anyone since the stamp. If it was, the read may be stale and must be repeated.
 */
export interface OrderLocks {
  stamp: () => Promise<LockStamp>
  run: <T>(key: string, since: LockStamp, until: WaitLimit, task: (stale: boolean, lock: HeldLock) => Promise<T>) => Promise<T>
}
