import t from 'tap'
import { OrderBusyError } from '../../../../src/cancellation/errors.js'
import { InProcessLocks } from '../../../../src/stores/locks/in-process.js'

const never = (): { signal: AbortSignal } => ({ signal: new AbortController().signal })

/** A promise with its resolve function. */
function gate (): { promise: Promise<void>, open: () => void } {
  let open!: () => void
  const promise = new Promise<void>((resolve) => { open = resolve })
  return { promise, open }
}

/** Lets every pending promise callback run. */
const settle = async (): Promise<void> => { await new Promise((resolve) => setImmediate(resolve)) }

t.test('tasks on one key run one at a time, in arrival order; other keys do not wait', async (t) => {
  const locks = new InProcessLocks()
  const log: string[] = []
  const gates = [gate(), gate(), gate()]
  const runs = gates.map(async ({ promise }, i) => await locks.run('order:1', 0, never(), async () => {
    log.push(`start ${i}`)
    await promise
    log.push(`end ${i}`)
    return i
  }))
  await settle()
  t.equal(await locks.run('order:2', 0, never(), async () => 'other key ran'), 'other key ran')
  gates[2]?.open()
  gates[1]?.open()
  await settle()
  t.same(log, ['start 0'], 'later tasks wait for the first even when ready')
  gates[0]?.open()
  t.same(await Promise.all(runs), [0, 1, 2], 'each caller gets its own result')
  t.same(log, ['start 0', 'end 0', 'start 1', 'end 1', 'start 2', 'end 2'])
})

t.test('a task learns whether the key was held since its stamp', async (t) => {
  const locks = new InProcessLocks()
  const before = await locks.stamp()
  t.equal(await locks.run('k', before, never(), async (stale) => stale), false, 'never held: the read stands')
  t.equal(await locks.run('k', before, never(), async (stale) => stale), true, 'released after the stamp: read again')
  t.equal(await locks.run('k', await locks.stamp(), never(), async (stale) => stale), false, 'released before the stamp')
  const stamp = await locks.stamp()
  await locks.run('other', stamp, never(), async () => {})
  t.equal(await locks.run('k', stamp, never(), async (stale) => stale), false, 'another key\'s release does not matter')

  const held = gate()
  const holder = locks.run('k', await locks.stamp(), never(), async () => await held.promise)
  const waiter = locks.run('k', await locks.stamp(), never(), async (stale) => stale)
  held.open()
  await holder
  t.equal(await waiter, true, 'had to wait: read again')
})

t.test('a failing task passes its error on, frees the key and counts as held', async (t) => {
  const locks = new InProcessLocks()
  const stamp = await locks.stamp()
  const failing = locks.run('k', stamp, never(), async () => { throw new Error('task failed') })
  await t.rejects(failing, { message: 'task failed' })
  t.equal(await locks.run('k', stamp, never(), async (stale) => stale), true)
})

t.test('a wait that outlasts the deadline is OrderBusyError, and the task never runs', async (t) => {
  for (const [name, signal] of [['aborted while waiting', new AbortController()], ['aborted before', AbortSignal.abort()]] as const) {
    const locks = new InProcessLocks()
    const held = gate()
    const first = locks.run('k', 0, never(), async () => await held.promise)
    let ran = false
    const waiting = locks.run('k', 0, { signal: signal instanceof AbortController ? signal.signal : signal }, async () => { ran = true })
      .catch((error: unknown) => error)
    await settle()
    if (signal instanceof AbortController) signal.abort()
    t.ok(await waiting instanceof OrderBusyError, name)
    held.open()
    await first
    t.equal(ran, false, name)
  }
  t.equal(await new InProcessLocks().run('k', 0, { signal: AbortSignal.abort() }, async () => 'ran'), 'ran', 'a free key does not look at the signal')
})

t.test('a waiter that gave up neither breaks the chain nor lets the next caller in early', async (t) => {
  const locks = new InProcessLocks()
  const log: string[] = []
  const held = gate()
  const first = locks.run('k', 0, never(), async () => {
    log.push('A start')
    await held.promise
    log.push('A end')
  })
  const controller = new AbortController()
  const quitter = locks.run('k', 0, { signal: controller.signal }, async () => { log.push('B ran') })
  controller.abort()
  await quitter.catch(() => log.push('B gave up'))
  const third = locks.run('k', 0, never(), async () => { log.push('C start') })
  await settle()
  t.same(log, ['A start', 'B gave up'], 'C still waits for A')
  held.open()
  await Promise.all([first, third])
  t.same(log, ['A start', 'B gave up', 'A end', 'C start'])
})

t.test('a waiter that finishes stops listening to its signal', async (t) => {
  const locks = new InProcessLocks()
  const controller = new AbortController()
  const held = gate()
  const first = locks.run('k', 0, never(), async () => await held.promise)
  const second = locks.run('k', 0, { signal: controller.signal }, async () => 'second ran')
  held.open()
  await first
  t.equal(await second, 'second ran')
  controller.abort()
  t.equal(await locks.run('k', 0, never(), async () => 'still fine'), 'still fine')
})

t.test('the chain is forgotten once its last task is done', async (t) => {
  const locks = new InProcessLocks()
  await Promise.all([locks.run('k', 0, never(), async () => {}), locks.run('k', 0, never(), async () => {})])
  // Cleanup runs once the chain settles, a turn of the loop later.
  await settle()
  // Had the key been kept, this aborted caller would have had to wait on it and been refused.
  t.equal(await locks.run('k', 0, { signal: AbortSignal.abort() }, async () => 'ran at once'), 'ran at once')
})

t.test('releases beyond the memory bound are forgotten safely: an old stamp reads again', async (t) => {
  const locks = new InProcessLocks(2)
  const old = await locks.stamp()
  await locks.run('a', old, never(), async () => {})
  const afterA = await locks.stamp()
  await locks.run('b', afterA, never(), async () => {})
  await locks.run('c', afterA, never(), async () => {})
  t.equal(await locks.run('a', old, never(), async (stale) => stale), true, 'a was forgotten, but released after the stamp')
  t.equal(await locks.run('never-held', old, never(), async (stale) => stale), true, 'unknown keys count as released when the oldest remembered was')
  t.equal(await locks.run('never-held-2', await locks.stamp(), never(), async (stale) => stale), false, 'a fresh stamp trusts its read')
})
