import type { InDoubtItem } from '../../cancellation/ports.js'

/**
 * In-doubt marks in this process, beside its locks: item → the time its mark ends, on a monotonic
 * clock. A mark is never dropped before it ends (dropping one early could let a second cancel
 * through), so memory is bounded by the cancels of one in-doubt window; ended marks are swept
 * whenever the map has doubled since the last sweep.
 */
export class MemoryInDoubtMarks {
  readonly #endsAt = new Map<string, number>()
  #sweepAtSize = 1024

  constructor (private readonly now: () => number = () => performance.now()) {}

  /** All or nothing, as the Redis script: the marked items, or none marked and those already marked. */
  mark (key: string, itemIds: readonly number[], ms: number): InDoubtItem[] {
    const now = this.now()
    const marked = itemIds
      .map((itemId) => ({ itemId, remainingMs: (this.#endsAt.get(`${key}:${itemId}`) ?? now) - now }))
      .filter((item) => item.remainingMs > 0)
    if (marked.length > 0) return marked
    for (const itemId of itemIds) this.#endsAt.set(`${key}:${itemId}`, now + ms)
    if (this.#endsAt.size >= this.#sweepAtSize) this.#sweep(now)
    return []
  }

  clear (key: string, itemIds: readonly number[]): void {
    for (const itemId of itemIds) this.#endsAt.delete(`${key}:${itemId}`)
  }

  get size (): number {
    return this.#endsAt.size
  }

  #sweep (now: number): void {
    for (const [mark, endsAt] of this.#endsAt) {
      if (endsAt <= now) this.#endsAt.delete(mark)
    }
    this.#sweepAtSize = Math.max(1024, 2 * this.#endsAt.size)
  }
}
