import { LRUCache } from 'lru-cache'
import type { GootenError } from './errors.js'

/** How long an order whose document we could not use is answered from memory. */
export const UNREADABLE_ORDER_MEMORY_MS = 15_000
const MAX_REMEMBERED = 1000

/**
 * Orders whose document Gooten served but we could not use, remembered briefly by the id as
 * given: a caller or a support tool that keeps asking gets the same 502 without a fetch of the
 * same (possibly megabytes of) document each time. Bounded in count and time.
 */
export class UnreadableOrders {
  readonly #failures: LRUCache<string, GootenError>

  constructor (now: () => number = performance.now.bind(performance)) {
    this.#failures = new LRUCache({ max: MAX_REMEMBERED, ttl: UNREADABLE_ORDER_MEMORY_MS, ttlResolution: 0, perf: { now } })
  }

  recall (orderId: string): GootenError | undefined {
    return this.#failures.get(orderId)
  }

  remember (orderId: string, failure: GootenError): void {
    this.#failures.set(orderId, failure)
  }
}
