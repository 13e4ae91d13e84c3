import { randomUUID } from 'node:crypto'
import type { Redis } from 'ioredis'
import { ANSWER_TTL_MS, StoreUnavailableError, type IdempotencyClaim, type IdempotencyStore, type StoredAnswer } from './types.js'

interface Record {
  fingerprint: string
  token?: string
  answer?: StoredAnswer
}

// Replace or delete only while our claim still holds the key: an expired claim may belong to another replica now.
const COMPLETE_IF_OURS = `
local current = redis.call('GET', KEYS[1])
if current and cjson.decode(current).token == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
  return 1
end
return 0`
const RELEASE_IF_OURS = `
local current = redis.call('GET', KEYS[1])
if current and cjson.decode(current).token == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0`

/** Idempotency records in Redis, shared by every replica. */
export class RedisIdempotencyStore implements IdempotencyStore {
  constructor (
    private readonly redis: Redis,
    private readonly claimTtlMs: number,
    private readonly prefix = 'gop:idem:'
  ) {}

  async claim (key: string, fingerprint: string): Promise<IdempotencyClaim> {
    const token = randomUUID()
    const record: Record = { fingerprint, token }
    // Two tries: the key may expire between a failed SET NX and the GET.
    for (let attempt = 0; attempt < 2; attempt++) {
      const created = await this.#command(async () => await this.redis.set(this.prefix + key, JSON.stringify(record), 'PX', this.claimTtlMs, 'NX'))
      if (created === 'OK') return { kind: 'claimed', token }
      const raw = await this.#command(async () => await this.redis.get(this.prefix + key))
      if (raw === null) continue
      const existing = JSON.parse(raw) as Record
      if (existing.fingerprint !== fingerprint) return { kind: 'mismatch' }
      return existing.answer === undefined ? { kind: 'in_progress' } : { kind: 'replay', answer: existing.answer }
    }
    return { kind: 'in_progress' }
  }

  async complete (key: string, token: string, answer: StoredAnswer): Promise<void> {
    const raw = await this.#command(async () => await this.redis.get(this.prefix + key))
    if (raw === null) return
    const { fingerprint } = JSON.parse(raw) as Record
    const completed: Record = { fingerprint, answer }
    await this.#command(async () => await this.redis.eval(COMPLETE_IF_OURS, 1, this.prefix + key, token, JSON.stringify(completed), ANSWER_TTL_MS))
  }

  async release (key: string, token: string): Promise<void> {
    await this.#command(async () => await this.redis.eval(RELEASE_IF_OURS, 1, this.prefix + key, token))
  }

  async #command<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run()
    } catch {
      throw new StoreUnavailableError('the idempotency store is unavailable')
    }
  }
}
