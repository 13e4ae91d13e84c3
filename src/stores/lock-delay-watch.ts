import type { StoreLogger } from './redis-connection.js'

/** What the service shows of a lock-delay (metrics): true while one is in force. */
export type LockDelayGauge = (inForce: boolean) => void

/**
 * Follows the lock-delay a lock store reports: one warning when a loss is found, and the gauge held
 * at "in force" until the latest reported end. The timer does not keep the process alive.
 */
export class LockDelayWatch {
  #endsAt = 0
  #timer: NodeJS.Timeout | undefined

  constructor (
    private readonly log: StoreLogger,
    private readonly gauge: LockDelayGauge,
    private readonly now: () => number = () => performance.now()
  ) {}

  readonly report = (remainingMs: number, detected: boolean): void => {
    if (detected) {
      this.log.warn({ store: 'redis', lockDelayMs: remainingMs }, 'the lock store lost its state; cancels answer 503 until the lock-delay ends')
    }
    const endsAt = this.now() + remainingMs
    if (endsAt <= this.#endsAt) return
    this.#endsAt = endsAt
    this.gauge(true)
    clearTimeout(this.#timer)
    this.#timer = setTimeout(() => {
      this.#timer = undefined
      this.gauge(false)
      this.log.info({ store: 'redis' }, 'the lock-delay has ended; cancels go ahead again')
    }, remainingMs)
    this.#timer.unref()
  }

  close (): void {
    clearTimeout(this.#timer)
  }
}
