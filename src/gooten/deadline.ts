/** Node's timers take at most 2^31 - 1 ms (some 24 days); a longer delay fires at once. */
export const MAX_TIMER_MS = 2 ** 31 - 1

/**
 * One inbound request's deadline, shared by all of its Gooten calls. A plain point in time: each call
 * gives undici the time left as its limits, and the body reader stops at it. An AbortSignal, which
 * costs more than everything else a call does, is made only for the wait that needs one (another
 * cancel's lock), on first use.
 */
export class Deadline {
  #signal: AbortSignal | undefined

  constructor (
    /** Epoch milliseconds. */
    readonly at: number,
    private readonly now: () => number = Date.now
  ) {}

  static in (ms: number): Deadline {
    return new Deadline(Date.now() + ms)
  }

  /** The same clock, `ms` sooner: a part of the time kept back for work that must follow. */
  earlier (ms: number): Deadline {
    return new Deadline(this.at - ms, this.now)
  }

  get remainingMs (): number {
    return this.at - this.now()
  }

  /** Aborts when the deadline passes. */
  get signal (): AbortSignal {
    // A deadline past MAX_TIMER_MS never passes here. Whole milliseconds: AbortSignal.timeout throws
    // on a fraction, which half of an odd time left is.
    this.#signal ??= AbortSignal.timeout(Math.min(MAX_TIMER_MS, Math.max(0, Math.ceil(this.remainingMs))))
    return this.#signal
  }
}
