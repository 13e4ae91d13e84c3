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
   * promise of it once a releasing call hands its slot over. Throws when the queue is full too.
   */
  acquire (op: UpstreamOp, until: { readonly signal: AbortSignal }): Release | Promise<Release> {
    if (this.#active < this.maxActive) {
      this.#active++
      this.onChange(this.#active)
      return this.#releaser()
    }
    if (this.#waiting.length >= this.maxQueued) {
      throw new GootenError('overloaded', op, 'too many Gooten calls in flight', { neverSent: true })
    }
    // A releasing call hands its slot straight to us, so no newcomer can take it in between.
    // The deadline's signal only now: a wait is the rare case, and making one costs.
    return this.#wait(op, until.signal).then(() => this.#releaser())
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

  async #wait (op: UpstreamOp, signal: AbortSignal): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        const index = this.#waiting.indexOf(wake)
        if (index !== -1) this.#waiting.splice(index, 1)
        reject(new GootenError('timeout', op, 'the request deadline passed while waiting for a Gooten slot', { neverSent: true }))
      }
      const wake = (): void => {
        signal.removeEventListener('abort', onAbort)
        resolve()
      }
      if (signal.aborted) {
        onAbort()
        return
      }
      signal.addEventListener('abort', onAbort, { once: true })
      this.#waiting.push(wake)
    })
  }
}
