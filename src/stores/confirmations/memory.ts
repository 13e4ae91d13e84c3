import { LRUCache } from 'lru-cache'
import type { ConfirmationRecord, ConfirmationStore } from './types.js'

/** Confirmations in this process's memory (one replica, or tests): bounded, each with its own expiry. */
export class MemoryConfirmationStore implements ConfirmationStore {
  readonly #records: LRUCache<string, ConfirmationRecord>

  constructor (maxEntries = 100_000) {
    this.#records = new LRUCache<string, ConfirmationRecord>({ max: maxEntries, ttlResolution: 0 })
  }

  async issue (key: string, record: ConfirmationRecord, keepMs: number): Promise<void> {
    this.#records.set(key, record, { ttl: keepMs })
  }

  async read (key: string): Promise<ConfirmationRecord | undefined> {
    return this.#records.get(key)
  }
}
