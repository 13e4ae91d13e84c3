import type { StoreLogger } from './redis-connection.js'

/** What the service shows of a lock-delay (metrics): the seconds it still runs, 0 when none does. */
export type LockDelayGauge = (seconds: number) => void

/**
 * Follows the lock-delay a lock store reports: one warning when a loss is found, and the gauge at
 * the seconds left as of the latest report, back to 0 at its end. The timer does not keep the
 * process alive.
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
    this.gauge(Math.ceil(remainingMs / 1000))
    clearTimeout(this.#timer)
    this.#timer = setTimeout(() => {
      this.#timer = undefined
      this.gauge(0)
      this.log.info({ store: 'redis' }, 'the lock-delay has ended; cancels go ahead again')
    }, remainingMs)
    this.#timer.unref()
  }

  close (): void {
    clearTimeout(this.#timer)
  }
}
