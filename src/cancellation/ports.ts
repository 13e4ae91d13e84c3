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

/**
 * Per-key mutual exclusion (in this process, or across replicas) with optimistic reads: take a
 * stamp, read what the lock protects, then run under the lock; the task learns whether the key
 * was held by anyone since the stamp. If it was, the read may be stale and must be repeated.
 */
export interface OrderLocks {
  stamp: () => Promise<LockStamp>
  run: <T>(key: string, since: LockStamp, until: WaitLimit, task: (stale: boolean) => Promise<T>) => Promise<T>
}
