import { GootenError, type UpstreamOp } from './errors.js'

export type CircuitState = 'closed' | 'open' | 'half_open'

export interface CircuitBreakerOptions {
  failureThreshold: number
  openMs: number
  now?: () => number
  onStateChange?: (state: CircuitState) => void
}

/**
 * Stops calling Gooten after `failureThreshold` consecutive failures, for `openMs`;
 * then lets exactly one trial call through, whose result closes or reopens it.
 */
export class CircuitBreaker {
  #state: CircuitState = 'closed'
  #consecutiveFailures = 0
  #openedAt = 0
  #trialInFlight = false
  readonly #now: () => number

  constructor (private readonly options: CircuitBreakerOptions) {
    this.#now = options.now ?? Date.now
  }

  get state (): CircuitState {
    return this.#state
  }

  /** Milliseconds until a trial call will be let through (0 when closed). */
  get retryAfterMs (): number {
    if (this.#state !== 'open') return 0
    return Math.max(0, this.#openedAt + this.options.openMs - this.#now())
  }

  /** Throws when the call must not be made; otherwise the caller must report success or failure. */
  admit (op: UpstreamOp): void {
    if (this.#state === 'open' && this.retryAfterMs === 0) this.#set('half_open')
    if (this.#state === 'closed') return
    if (this.#state === 'half_open' && !this.#trialInFlight) {
      this.#trialInFlight = true
      return
    }
    throw new GootenError('circuit_open', op, 'Gooten calls are paused after repeated failures', {
      neverSent: true,
      retryAfterMs: Math.max(this.retryAfterMs, 1000)
    })
  }

  /** An admitted call that was never made (e.g. shed by the bulkhead) says nothing about Gooten. */
  abandoned (): void {
    this.#trialInFlight = false
  }

  succeeded (): void {
    this.#trialInFlight = false
    this.#consecutiveFailures = 0
    if (this.#state !== 'closed') this.#set('closed')
  }

  failed (): void {
    this.#trialInFlight = false
    // A late answer to a call made before the circuit opened must not extend the pause.
    if (this.#state === 'open') return
    this.#consecutiveFailures++
    if (this.#state === 'half_open' || this.#consecutiveFailures >= this.options.failureThreshold) {
      this.#openedAt = this.#now()
      this.#set('open')
    }
  }

  #set (state: CircuitState): void {
    this.#state = state
    this.options.onStateChange?.(state)
  }
}
