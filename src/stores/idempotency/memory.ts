import { randomUUID } from 'node:crypto'
import { ANSWER_TTL_MS, type ClaimOutcome, type HeldClaim, type IdempotencyStore, type StoredAnswer } from './types.js'

interface Entry {
  fingerprint: string
  expiresAt: number
  token?: string
  answer?: StoredAnswer
}

/** Idempotency records in this process's memory: one replica, or tests. */
export class MemoryIdempotencyStore implements IdempotencyStore {
  readonly #entries = new Map<string, Entry>()

  constructor (
    private readonly claimTtlMs: number,
    private readonly maxEntries = 100_000,
    private readonly now: () => number = Date.now
  ) {}

  async claim (key: string, fingerprint: string): Promise<ClaimOutcome> {
    const existing = this.#live(key)
    if (existing === undefined) {
      this.#evictIfFull()
      const token = randomUUID()
      this.#entries.set(key, { fingerprint, token, expiresAt: this.now() + this.claimTtlMs })
      return { kind: 'claimed', claim: { key, token, fingerprint } }
    }
    if (existing.fingerprint !== fingerprint) return { kind: 'mismatch' }
    return existing.answer === undefined ? { kind: 'in_progress' } : { kind: 'replay', answer: existing.answer }
  }

  async complete ({ key, token, fingerprint }: HeldClaim, answer: StoredAnswer): Promise<void> {
    if (this.#live(key)?.token !== token) return
    this.#entries.set(key, { fingerprint, answer, expiresAt: this.now() + ANSWER_TTL_MS })
  }

  async release ({ key, token }: HeldClaim): Promise<void> {
    if (this.#live(key)?.token === token) this.#entries.delete(key)
  }

  #live (key: string): Entry | undefined {
    const entry = this.#entries.get(key)
    if (entry !== undefined && entry.expiresAt <= this.now()) {
      this.#entries.delete(key)
      return undefined
    }
    return entry
  }

  /** Bounded memory: beyond the cap, the oldest records go first (Map keeps insertion order). */
  #evictIfFull (): void {
    if (this.#entries.size < this.maxEntries) return
    const oldest = this.#entries.keys().next().value as string
    this.#entries.delete(oldest)
  }
}
