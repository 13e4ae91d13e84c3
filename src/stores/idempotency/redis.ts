import { randomUUID } from 'node:crypto'
import type { Redis, Result } from 'ioredis'
import { StoreUnavailableError } from '../errors.js'
import { packAnswer, unpackAnswer } from './packing.js'
import type { ClaimOutcome, HeldClaim, IdempotencyStore, StoredAnswer } from './types.js'

declare module 'ioredis' {
  interface RedisCommander<Context> {
    gopIdempotencyClaim: (key: string, record: string, claimTtlMs: number) => Result<string | null, Context>
    gopIdempotencyComplete: (key: string, token: string, record: string, answerTtlMs: number) => Result<number, Context>
    gopIdempotencyRelease: (key: string, token: string) => Result<number, Context>
  }
}

interface StoredRecord {
  fingerprint: string
  token?: string
  /** packAnswer's form: a tenth of the answer's bytes. */
  answer?: string
}

// Creates the claim, or answers the record already there: one step, so no record can expire in between.
const CLAIM = `
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return false end
return redis.call('GET', KEYS[1])`

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
  ) {
    redis.defineCommand('gopIdempotencyClaim', { numberOfKeys: 1, lua: CLAIM })
    redis.defineCommand('gopIdempotencyComplete', { numberOfKeys: 1, lua: COMPLETE_IF_OURS })
    redis.defineCommand('gopIdempotencyRelease', { numberOfKeys: 1, lua: RELEASE_IF_OURS })
  }

  async claim (key: string, fingerprint: string): Promise<ClaimOutcome> {
    const token = randomUUID()
    const record: StoredRecord = { fingerprint, token }
    let existing: string | null
    try {
      existing = await this.#command(async () => await this.redis.gopIdempotencyClaim(this.prefix + key, JSON.stringify(record), this.claimTtlMs))
    } catch (error) {
      // A claim that timed out may still be made once a stalled Redis answers again; the release,
      // sent after it on the same connection, removes it, so the key is not held for nothing.
      this.release({ key, token, fingerprint }).catch(() => {})
      throw error
    }
    if (existing === null) return { kind: 'claimed', claim: { key, token, fingerprint } }
    const stored = JSON.parse(existing) as StoredRecord
    if (stored.fingerprint !== fingerprint) return { kind: 'mismatch' }
    return stored.answer === undefined ? { kind: 'in_progress' } : { kind: 'replay', answer: unpackAnswer(stored.answer) }
  }

  async complete ({ key, token, fingerprint }: HeldClaim, answer: StoredAnswer, ttlMs: number): Promise<void> {
    const completed: StoredRecord = { fingerprint, answer: packAnswer(answer) }
    await this.#command(async () => await this.redis.gopIdempotencyComplete(this.prefix + key, token, JSON.stringify(completed), ttlMs))
  }

  async release ({ key, token }: HeldClaim): Promise<void> {
    await this.#command(async () => await this.redis.gopIdempotencyRelease(this.prefix + key, token))
  }

  async #command<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run()
    } catch {
      throw new StoreUnavailableError('the idempotency store is unavailable')
    }
  }
}
