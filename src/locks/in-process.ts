import type { OrderLocks } from '../cancellation/ports.js'
import { GootenError } from '../gooten/errors.js'

/** Per-key mutual exclusion within this process: each key keeps a chain of waiting tasks. */
export class InProcessLocks implements OrderLocks {
  readonly #tails = new Map<string, Promise<void>>()

  async run<T>(key: string, signal: AbortSignal, task: (waited: boolean) => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key)
    let release!: () => void
    const mine = new Promise<void>((resolve) => { release = resolve })
    // The next task waits for both: if this one gives up waiting, the one before still holds the key.
    const tail = previous === undefined ? mine : Promise.all([previous, mine]).then(() => {})
    this.#tails.set(key, tail)
    try {
      if (previous !== undefined) await waitFor(previous, signal)
      return await task(previous !== undefined)
    } finally {
      release()
      // Forget the key only once every task chained so far is done: a waiter that gave up
      // releases its own turn early, while the one before it may still hold the key.
      tail.then(() => {
        if (this.#tails.get(key) === tail) this.#tails.delete(key)
      })
    }
  }
}

async function waitFor (turn: Promise<void>, signal: AbortSignal): Promise<void> {
  if (signal.aborted) throw lockTimeout()
  let onAbort!: () => void
  const aborted = new Promise<never>((_resolve, reject) => {
    onAbort = () => reject(lockTimeout())
    signal.addEventListener('abort', onAbort, { once: true })
  })
  try {
    await Promise.race([turn, aborted])
  } finally {
    signal.removeEventListener('abort', onAbort)
  }
}

function lockTimeout (): GootenError {
  return new GootenError('timeout', 'cancelItems', 'the request deadline passed while another cancel of this order ran', { neverSent: true })
}
