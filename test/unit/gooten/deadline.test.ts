import t from 'tap'
import { Deadline } from '../../../src/gooten/deadline.js'

/** Resolves when the signal aborts. AbortSignal.timeout does not keep the process alive, so this does meanwhile. */
async function aborted (signal: AbortSignal): Promise<void> {
  const keepAlive = setInterval(() => {}, 1000)
  await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }))
  clearInterval(keepAlive)
}

t.test('a deadline a fraction of a millisecond away still gives a signal, which aborts once it passes', async (t) => {
  // Half of an odd time left: what a cancel keeps back for its verification lookup when time runs short.
  const deadline = new Deadline(31, () => 0).earlier(31 / 2)
  t.equal(deadline.remainingMs, 15.5)
  const { signal } = deadline
  t.equal(signal.aborted, false, 'made without throwing, and not yet aborted')
  t.equal(deadline.signal, signal, 'made once')
  await aborted(signal)
  t.equal(signal.aborted, true)
})

t.test('a deadline already passed gives a signal that aborts at once; one far off is capped to what timers take', async (t) => {
  const passed = new Deadline(0, () => 10)
  await aborted(passed.signal)
  t.equal(passed.signal.aborted, true)
  t.equal(Deadline.in(2 ** 40).signal.aborted, false)
})
