import { performance } from 'node:perf_hooks'

/** How often the detector's timer samples the loop, in ms. */
export const SAMPLE_INTERVAL_MS = 200

/** Share of a timer's lateness the loop must have spent running code (not waiting) to count as blocked. */
export const BUSY_SHARE = 0.9

/** Runs `sample` every `intervalMs` without keeping the process alive; returns how to stop it. */
export type Scheduler = (sample: () => void, intervalMs: number) => () => void

export interface OverloadDetectorOptions {
  /** Lateness of the sampling timer, in ms, from which the loop counts as blocked (if it was busy). */
  thresholdMs: number
  intervalMs?: number
  /** Monotonic clock in ms. */
  now?: () => number
  /** Total ms the event loop has spent outside its wait for I/O (event-loop utilisation's active time). */
  activeMs?: () => number
  schedule?: Scheduler
}

const unrefInterval: Scheduler = (sample, intervalMs) => {
  const timer = setInterval(sample, intervalMs).unref()
  return () => { clearInterval(timer) }
}

/**
 * Tells whether the event loop is blocked by our own work. A timer should fire every `intervalMs`;
 * when it fires `thresholdMs` or more late, the loop is blocked only if it was also busy for most of
 * that lateness. A process that the OS did not run while it waited for I/O (CPU contention, container
 * throttling, a VM pause) fires late too, but spent that time idle: it is not overloaded.
 */
export class OverloadDetector {
  readonly #thresholdMs: number
  readonly #intervalMs: number
  readonly #now: () => number
  readonly #activeMs: () => number
  readonly #schedule: Scheduler
  #stopTimer: (() => void) | undefined
  /** When the timer last fired (or measuring started), and the loop's active time then. */
  #lastSample = { at: 0, activeMs: 0 }
  #blockedAtLastSample = false

  constructor (options: OverloadDetectorOptions) {
    this.#thresholdMs = options.thresholdMs
    this.#intervalMs = options.intervalMs ?? SAMPLE_INTERVAL_MS
    this.#now = options.now ?? (() => performance.now())
    this.#activeMs = options.activeMs ?? (() => performance.eventLoopUtilization().active)
    this.#schedule = options.schedule ?? unrefInterval
  }

  /** Starts measuring; what the loop did before does not count. */
  start (): void {
    this.#lastSample = { at: this.#now(), activeMs: this.#activeMs() }
    this.#blockedAtLastSample = false
    this.#stopTimer = this.#schedule(() => { this.#sample() }, this.#intervalMs)
  }

  stop (): void {
    this.#stopTimer?.()
    this.#stopTimer = undefined
  }

  /**
   * Whether to shed now: the last sample found the loop blocked, or the timer is overdue by the
   * threshold right now (requests that queued up during a block may be read before the timer runs).
   */
  get overloaded (): boolean {
    if (this.#stopTimer === undefined) return false
    return this.#blockedAtLastSample || this.#blockedSince(this.#lastSample, this.#now())
  }

  #sample (): void {
    const at = this.#now()
    this.#blockedAtLastSample = this.#blockedSince(this.#lastSample, at)
    this.#lastSample = { at, activeMs: this.#activeMs() }
  }

  #blockedSince (last: { at: number, activeMs: number }, at: number): boolean {
    const lagMs = at - last.at - this.#intervalMs
    // Read the loop's active time only when late: this runs for every request.
    return lagMs >= this.#thresholdMs && this.#activeMs() - last.activeMs >= BUSY_SHARE * lagMs
  }
}
