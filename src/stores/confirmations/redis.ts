import type { Redis } from 'ioredis'
import { StoreUnavailableError } from '../errors.js'
import type { ConfirmationRecord, ConfirmationStore } from './types.js'

/** Confirmations in Redis, so a preview on one replica can be confirmed on another. */
export class RedisConfirmationStore implements ConfirmationStore {
  constructor (
    private readonly redis: Redis,
    private readonly prefix = 'gop:mcp-confirmation:'
  ) {}

  async issue (key: string, record: ConfirmationRecord, keepMs: number): Promise<void> {
    await this.#command(async () => await this.redis.set(this.prefix + key, JSON.stringify(record), 'PX', keepMs))
  }

  async read (key: string): Promise<ConfirmationRecord | undefined> {
    const stored = await this.#command(async () => await this.redis.get(this.prefix + key))
    return stored === null ? undefined : JSON.parse(stored) as ConfirmationRecord
  }

  async #command<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run()
    } catch {
      throw new StoreUnavailableError('the confirmation store is unavailable')
    }
  }
}
