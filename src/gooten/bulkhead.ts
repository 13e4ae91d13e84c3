import { MAX_TIMER_MS } from './deadline.js'
import { GootenError, type UpstreamOp } from './errors.js'

/** Gives a slot back; calling it again does nothing. */
export type Release = () => void

/**
 * Caps upstream calls in flight. Waiters queue up to a small limit; beyond it a call is
 * shed at once, because an unbounded queue only turns overload into timeouts.
 */
export class Bulkhead {
  #active = 0
  readonly #waiting: Array<() => void> = []

  constructor (
    readonly maxActive: number,
    readonly maxQueued: number,
    /** Told every change of the count in flight (tests); the metric reads `active` when scraped instead. */
    private readonly onChange: (active: number) => void = () => {}
  ) {}

  get active (): number {
    return this.#active
  }

  /**
   * A slot: the release function at once when one is free (no promise on the common path), else a
   * promise of it once a releasing call hands its slot over, given up when `until` runs out. Throws
   * when the queue is full too.
   */
  acquire (op: UpstreamOp, until: { readonly remainingMs: number }): Release | Promise<Release> {
    if (this.#active < this.maxActive) {
      this.#active++
      this.onChange(this.#active)
      return this.#releaser()
    }
    if (this.#waiting.length >= this.maxQueued) {
      throw new GootenError('overloaded', op, 'too many Gooten calls in flight', { neverSent: true })
    }
    // A releasing call hands its slot straight to us, so no newcomer can take it in between.
    return this.#wait(op, until.remainingMs).then(() => this.#releaser())
  }

  #releaser (): Release {
    let released = false
    return () => {
      if (released) return
      released = true
      const next = this.#waiting.shift()
      if (next !== undefined) {
        next()
        return
      }
      this.#active--
      this.onChange(this.#active)
    }
  }

  /**
   * A plain timer per wait, cleared when the slot comes: at -c 50 a third of the calls wait, and an
   * AbortSignal.timeout (an event target, a weak timer kept until the deadline) cost more than the wait.
   */
  async #wait (op: UpstreamOp, remainingMs: number): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const giveUp = (): void => {
        const index = this.#waiting.indexOf(wake)
        if (index !== -1) this.#waiting.splice(index, 1)
        reject(new GootenError('timeout', op, 'the request deadline passed while waiting for a Gooten slot', { neverSent: true }))
      }
      const wake = (): void => {
        clearTimeout(timer)
        resolve()
      }
      if (remainingMs <= 0) {
        giveUp()
        return
      }
      // Whole milliseconds within Node's timer range (a longer delay would fire at once).
      const timer = setTimeout(giveUp, Math.min(MAX_TIMER_MS, Math.ceil(remainingMs)))
      this.#waiting.push(wake)
    })
  }
}
