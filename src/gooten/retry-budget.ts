/**
 * A token bucket that keeps retries to a fraction of calls, so a failing Gooten does not
 * receive a multiple of our traffic: each first attempt earns `ratio` of a token, each retry
 * spends one. The bucket starts with `reserve` tokens so a quiet service can still retry.
 */
export class RetryBudget {
  #tokens: number

  constructor (
    private readonly ratio = 0.1,
    private readonly reserve = 3,
    private readonly cap = 10
  ) {
    this.#tokens = reserve
  }

  recordCall (): void {
    this.#tokens = Math.min(this.cap, this.#tokens + this.ratio)
  }

  tryRetry (): boolean {
    if (this.#tokens < 1) return false
    this.#tokens -= 1
    return true
  }

  get tokens (): number {
    return this.#tokens
  }
}
