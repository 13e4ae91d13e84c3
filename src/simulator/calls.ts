/** The log of Gooten calls received: what tests read to see what the service sent. */
import type { FaultOp } from './faults.js'

export type SimOp = FaultOp | 'other'

export interface SimCall {
  op: SimOp
  method: string
  /** Request path, without the query string. */
  path: string
  /** The order id as sent: `id` on lookup, `orderId` on cancel. */
  orderId?: string
  /** The cancel body's `Ids`, when the body was valid. */
  itemIds?: number[]
  /** `Date.now()` at arrival. */
  at: number
}

export interface SimCallCounts {
  getOrder: number
  cancelItems: number
  other: number
}

export class CallLog {
  /** Oldest first; the same array for the log's lifetime, capped at `maxCalls`. */
  readonly entries: SimCall[] = []
  /** Exact even beyond `maxCalls`. */
  readonly counts: SimCallCounts = { getOrder: 0, cancelItems: 0, other: 0 }
  /** Cancel calls that changed state. */
  cancelsApplied = 0

  constructor (readonly maxCalls: number) {}

  /** Record a call at its arrival (before its body is read). */
  record (op: SimOp, request: { method: string, path: string }, orderId: string | undefined): SimCall {
    const call: SimCall = { op, method: request.method, path: request.path, at: Date.now() }
    if (orderId !== undefined) call.orderId = orderId
    this.counts[op]++
    const { entries, maxCalls } = this
    entries.push(call)
    // Trim in batches so the cap costs O(1) amortised.
    if (entries.length > maxCalls) entries.splice(0, entries.length - maxCalls + Math.ceil(maxCalls / 10))
    return call
  }

  /** Calls of one op, or of all ops when omitted. */
  count (op?: SimOp): number {
    const { counts } = this
    return op === undefined ? counts.getOrder + counts.cancelItems + counts.other : counts[op]
  }

  clear (): void {
    this.entries.length = 0
    this.counts.getOrder = this.counts.cancelItems = this.counts.other = 0
    this.cancelsApplied = 0
  }
}
