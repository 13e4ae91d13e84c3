import type { CallContext } from '../gooten/client.js'
import type { GootenCancelReply, GootenOrder } from '../gooten/types.js'

/** What the domain needs from Gooten; GootenClient provides it. */
export interface GootenGateway {
  getOrder: (orderId: string, context: CallContext) => Promise<GootenOrder>
  cancelItems: (gootenId: number, itemIds: readonly number[], context: CallContext) => Promise<GootenCancelReply>
}

/**
 * Runs tasks for the same key one at a time (in this process, or across replicas). The task learns
 * whether it had to wait for another one: what it read before may have changed meanwhile.
 */
export interface OrderLocks {
  run: <T>(key: string, signal: AbortSignal, task: (waited: boolean) => Promise<T>) => Promise<T>
}
