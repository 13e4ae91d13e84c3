import type { HeldLock, LockStamp, OrderLocks, WaitLimit } from '../../cancellation/ports.js'
import { OrderBusyError } from '../../cancellation/errors.js'
import { MemoryInDoubtMarks } from './in-doubt-memory.js'

/**
 * Per-key mutual exclusion within this process: each key keeps a chain of waiting tasks. Every
 * release advances a logical clock and is remembered per key, so a task can tell whether the key
 * was held since a stamp its caller took before reading. In-doubt marks live beside the locks: a
 * process cannot lose them while it runs, and a restart loses them with everything else.
 */
export class InProcessLocks implements OrderLocks {
  readonly #tails = new Map<string, Promise<void>>()
  #clock = 0
  /** Each key's last release, oldest first; bounded, see #remember. */
  readonly #releasedAt = new Map<string, LockStamp>()
  /** Keys dropped from #releasedAt count as released at this stamp: never newer than the truth. */
  #forgottenUpTo = 0

  readonly #marks: MemoryInDoubtMarks

  constructor (private readonly maxRemembered = 10_000, marks = new MemoryInDoubtMarks()) {
    this.#marks = marks
  }

  async stamp (): Promise<LockStamp> {
    return this.#clock
  }

  async run<T>(key: string, since: LockStamp, until: WaitLimit, task: (stale: boolean, lock: HeldLock) => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key)
    let release!: () => void
    const mine = new Promise<void>((resolve) => { release = resolve })
    // The next task waits for both: if this one gives up waiting, the one before still holds the key.
    const tail = previous === undefined ? mine : Promise.all([previous, mine]).then(() => {})
    this.#tails.set(key, tail)
    let held = false
    try {
      if (previous !== undefined) await waitFor(previous, until.signal)
      held = true
      return await task(previous !== undefined || this.#lastRelease(key) > since, this.#held(key))
    } finally {
      if (held) this.#remember(key, ++this.#clock)
      release()
      // Forget the key only once every task chained so far is done: a waiter that gave up
      // releases its own turn early, while the one before it may still hold the key.
      tail.then(() => {
        if (this.#tails.get(key) === tail) this.#tails.delete(key)
      })
    }
  }

  #held (key: string): HeldLock {
    return {
      markInDoubt: async (itemIds, ms) => this.#marks.mark(key, itemIds, ms),
      clearInDoubt: async (itemIds) => { this.#marks.clear(key, itemIds) }
    }
  }

  #lastRelease (key: string): LockStamp {
    return this.#releasedAt.get(key) ?? this.#forgottenUpTo
  }

  /** Bounded memory: the oldest release goes first, and raises the stamp every forgotten key reports. */
  #remember (key: string, stamp: LockStamp): void {
    this.#releasedAt.delete(key)
    this.#releasedAt.set(key, stamp)
    if (this.#releasedAt.size <= this.maxRemembered) return
    const [oldestKey, oldestStamp] = this.#releasedAt.entries().next().value as [string, LockStamp]
    this.#releasedAt.delete(oldestKey)
    this.#forgottenUpTo = oldestStamp
  }
}

async function waitFor (turn: Promise<void>, signal: AbortSignal): Promise<void> {
  if (signal.aborted) throw new OrderBusyError()
  let onAbort!: () => void
  const aborted = new Promise<never>((_resolve, reject) => {
    onAbort = () => reject(new OrderBusyError())
    signal.addEventListener('abort', onAbort, { once: true })
  })
  try {
    await Promise.race([turn, aborted])
  } finally {
    signal.removeEventListener('abort', onAbort)
  }
}
