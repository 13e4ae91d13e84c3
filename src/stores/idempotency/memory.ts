import { randomUUID } from 'node:crypto'
import { LRUCache } from 'lru-cache'
import { packAnswer, unpackAnswer } from './packing.js'
import type { ClaimOutcome, HeldClaim, IdempotencyStore, StoredAnswer } from './types.js'

interface Entry {
  fingerprint: string
  token?: string
  /** packAnswer's form. */
  answer?: string
}

/** Bytes the records may take in the process (counted high, see below): some 9,000 of the largest answers (100-item 422s). */
export const MEMORY_RECORD_BYTES = 16 * 1024 * 1024
// A record's own bytes beside its strings: the entry object and the cache's bookkeeping (measured, rounded up).
const ENTRY_OVERHEAD_BYTES = 200

/**
 * Idempotency records in this process's memory (one replica, or tests): bounded in bytes, least
 * recently used first out, each with its own expiry. Strings are counted at two bytes a character,
 * the most V8 takes.
 */
export class MemoryIdempotencyStore implements IdempotencyStore {
  readonly #entries: LRUCache<string, Entry>

  constructor (
    private readonly claimTtlMs: number,
    maxBytes = MEMORY_RECORD_BYTES,
    now: () => number = performance.now.bind(performance)
  ) {
    this.#entries = new LRUCache<string, Entry>({
      maxSize: maxBytes,
      sizeCalculation: (entry, key) => ENTRY_OVERHEAD_BYTES + 2 * (key.length + entry.fingerprint.length + (entry.token?.length ?? 0) + (entry.answer?.length ?? 0)),
      ttlResolution: 0,
      perf: { now }
    })
  }

  async claim (key: string, fingerprint: string): Promise<ClaimOutcome> {
    const existing = this.#entries.get(key)
    if (existing === undefined) {
      const token = randomUUID()
      this.#entries.set(key, { fingerprint, token }, { ttl: this.claimTtlMs })
      return { kind: 'claimed', claim: { key, token, fingerprint } }
    }
    if (existing.fingerprint !== fingerprint) return { kind: 'mismatch' }
    return existing.answer === undefined ? { kind: 'in_progress' } : { kind: 'replay', answer: unpackAnswer(existing.answer) }
  }

  async complete ({ key, token, fingerprint }: HeldClaim, answer: StoredAnswer, ttlMs: number): Promise<void> {
    if (this.#entries.get(key)?.token !== token) return
    this.#entries.set(key, { fingerprint, answer: packAnswer(answer) }, { ttl: ttlMs })
  }

  async release ({ key, token }: HeldClaim): Promise<void> {
    if (this.#entries.get(key)?.token === token) this.#entries.delete(key)
  }
}
