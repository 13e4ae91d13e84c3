import { randomUUID } from 'node:crypto'
import { LRUCache } from 'lru-cache'
import { ANSWER_TTL_MS, type ClaimOutcome, type HeldClaim, type IdempotencyStore, type StoredAnswer } from './types.js'

interface Entry {
  fingerprint: string
  token?: string
  answer?: StoredAnswer
}

/** Idempotency records in this process's memory (one replica, or tests): bounded, each with its own expiry. */
export class MemoryIdempotencyStore implements IdempotencyStore {
  readonly #entries: LRUCache<string, Entry>

  constructor (
    private readonly claimTtlMs: number,
    maxEntries = 100_000,
    now: () => number = performance.now.bind(performance)
  ) {
    this.#entries = new LRUCache<string, Entry>({ max: maxEntries, ttlResolution: 0, perf: { now } })
  }

  async claim (key: string, fingerprint: string): Promise<ClaimOutcome> {
    const existing = this.#entries.get(key)
    if (existing === undefined) {
      const token = randomUUID()
      this.#entries.set(key, { fingerprint, token }, { ttl: this.claimTtlMs })
      return { kind: 'claimed', claim: { key, token, fingerprint } }
    }
    if (existing.fingerprint !== fingerprint) return { kind: 'mismatch' }
    return existing.answer === undefined ? { kind: 'in_progress' } : { kind: 'replay', answer: existing.answer }
  }

  async complete ({ key, token, fingerprint }: HeldClaim, answer: StoredAnswer): Promise<void> {
    if (this.#entries.get(key)?.token !== token) return
    this.#entries.set(key, { fingerprint, answer }, { ttl: ANSWER_TTL_MS })
  }

  async release ({ key, token }: HeldClaim): Promise<void> {
    if (this.#entries.get(key)?.token === token) this.#entries.delete(key)
  }
}
