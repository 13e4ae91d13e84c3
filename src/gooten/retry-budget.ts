export interface RetryBudgetOptions {
  /** Retries allowed per call made (0.1: a tenth of the traffic). */
  percent?: number
  /** Retries allowed per second whatever the traffic, so a quiet service still retries. */
  minPerSecond?: number
  /** Most retries that can be saved up, so a long quiet spell cannot fund a burst. */
  cap?: number
  /** Milliseconds, monotonic; injectable for tests. */
  now?: () => number
}

/**
 * Finagle's retry budget as a token bucket: each call deposits `percent` of a token, time deposits
 * `minPerSecond` tokens a second, each retry withdraws one. Against a Gooten that only fails, a busy
 * service adds at most `percent` of its calls plus the floor; a quiet one still retries each of its
 * rare transient failures. The bucket starts full.
 */
export class RetryBudget {
  readonly #percent: number
  readonly #minPerSecond: number
  readonly #cap: number
  readonly #now: () => number
  #tokens: number
  #refilledAt: number

  constructor ({ percent = 0.1, minPerSecond = 1, cap = 10, now = () => performance.now() }: RetryBudgetOptions = {}) {
    this.#percent = percent
    this.#minPerSecond = minPerSecond
    this.#cap = cap
    this.#now = now
    this.#tokens = cap
    this.#refilledAt = now()
  }

  recordCall (): void {
    this.#deposit(this.#percent)
  }

  tryRetry (): boolean {
    this.#deposit(0)
    if (this.#tokens < 1) return false
    this.#tokens -= 1
    return true
  }

  get tokens (): number {
    this.#deposit(0)
    return this.#tokens
  }

  #deposit (amount: number): void {
    const now = this.#now()
    const earned = ((now - this.#refilledAt) / 1000) * this.#minPerSecond
    this.#refilledAt = now
    this.#tokens = Math.min(this.#cap, this.#tokens + earned + amount)
  }
}
