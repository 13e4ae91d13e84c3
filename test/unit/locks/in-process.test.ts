import t from 'tap'
import { GootenError } from '../../../src/gooten/errors.js'
import { InProcessLocks } from '../../../src/locks/in-process.js'

const never = (): AbortSignal => new AbortController().signal

/** A promise with its resolve function. */
function gate (): { promise: Promise<void>, open: () => void } {
  let open!: () => void
  const promise = new Promise<void>((resolve) => { open = resolve })
  return { promise, open }
}

/** Lets every pending promise callback run. */
const settle = async (): Promise<void> => { await new Promise((resolve) => setImmediate(resolve)) }

t.test('tasks on one key run one at a time, in arrival order', async (t) => {
  const locks = new InProcessLocks()
  const log: string[] = []
  const gates = [gate(), gate(), gate()]
  const runs = gates.map(async ({ promise }, i) => await locks.run('order:1', never(), async () => {
    log.push(`start ${i}`)
    await promise
    log.push(`end ${i}`)
    return i
  }))
  await settle()
  t.same(log, ['start 0'])
  gates[2]?.open()
  gates[1]?.open()
  await settle()
  t.same(log, ['start 0'], 'later tasks wait for the first even when ready')
  gates[0]?.open()
  t.same(await Promise.all(runs), [0, 1, 2], 'each caller gets its own result')
  t.same(log, ['start 0', 'end 0', 'start 1', 'end 1', 'start 2', 'end 2'])
})

t.test('different keys do not wait for each other', async (t) => {
  const locks = new InProcessLocks()
  const held = gate()
  const first = locks.run('order:1', never(), async () => await held.promise)
  let ran = false
  await locks.run('order:2', never(), async () => { ran = true })
  t.ok(ran)
  held.open()
  await first
})

t.test('a failing task passes its error on and frees the key', async (t) => {
  const locks = new InProcessLocks()
  const failing = locks.run('k', never(), async () => { throw new Error('task failed') })
  const next = locks.run('k', never(), async () => 'next ran')
  await t.rejects(failing, { message: 'task failed' })
  t.equal(await next, 'next ran')
})

t.test('abort while waiting: GootenError timeout, and the task never runs', async (t) => {
  const locks = new InProcessLocks()
  const held = gate()
  const first = locks.run('k', never(), async () => await held.promise)
  const controller = new AbortController()
  let ran = false
  const waiting = locks.run('k', controller.signal, async () => { ran = true })
  await settle()
  controller.abort()
  const error = await waiting.catch((e: unknown) => e)
  t.ok(error instanceof GootenError)
  t.match(error, { failure: 'timeout', op: 'cancelItems', details: { neverSent: true } })
  t.equal((error as GootenError).mayHaveReachedGooten, false)
  held.open()
  await first
  t.equal(ran, false)
})

t.test('an already-aborted signal fails at once when the key is held', async (t) => {
  const locks = new InProcessLocks()
  const held = gate()
  const first = locks.run('k', never(), async () => await held.promise)
  let ran = false
  await t.rejects(locks.run('k', AbortSignal.abort(), async () => { ran = true }), { name: 'GootenError', failure: 'timeout' })
  t.equal(ran, false)
  held.open()
  await first
})

t.test('an already-aborted signal does not matter when the key is free', async (t) => {
  const locks = new InProcessLocks()
  t.equal(await locks.run('k', AbortSignal.abort(), async () => 'ran'), 'ran')
})

t.test('a waiter that gave up does not break the chain', async (t) => {
  const locks = new InProcessLocks()
  const log: string[] = []
  const held = gate()
  const first = locks.run('k', never(), async () => {
    log.push('A start')
    await held.promise
    log.push('A end')
  })
  const controller = new AbortController()
  const quitter = locks.run('k', controller.signal, async () => { log.push('B ran') })
  const third = locks.run('k', never(), async () => { log.push('C start') })
  await settle()
  controller.abort()
  await t.rejects(quitter, { name: 'GootenError', failure: 'timeout' })
  await settle()
  t.same(log, ['A start'], 'C still waits for A')
  held.open()
  await Promise.all([first, third])
  t.same(log, ['A start', 'A end', 'C start'])
})

t.test('a waiter that finishes stops listening to its signal', async (t) => {
  const locks = new InProcessLocks()
  const controller = new AbortController()
  await locks.run('k', never(), async () => {})
  const held = gate()
  const first = locks.run('k', never(), async () => await held.promise)
  const second = locks.run('k', controller.signal, async () => 'second ran')
  held.open()
  await first
  t.equal(await second, 'second ran')
  controller.abort()
  t.equal(await locks.run('k', never(), async () => 'still fine'), 'still fine')
})

t.test('the key is forgotten once its last task is done', async (t) => {
  const locks = new InProcessLocks()
  await Promise.all([
    locks.run('k', never(), async () => {}),
    locks.run('k', never(), async () => {})
  ])
  // Cleanup runs once the chain settles, a turn of the loop later.
  await new Promise((resolve) => setImmediate(resolve))
  // Had the key been kept, this aborted caller would have had to wait on it and been refused.
  t.equal(await locks.run('k', AbortSignal.abort(), async () => 'ran at once'), 'ran at once')
})

t.test('a waiter that gives up does not let the next caller in while the holder still runs', async (t) => {
  const locks = new InProcessLocks()
  const log: string[] = []
  const heldByA = gate()
  const a = locks.run('k', never(), async () => {
    log.push('A start')
    await heldByA.promise
    log.push('A end')
  })
  const giveUp = new AbortController()
  const b = locks.run('k', giveUp.signal, async () => { log.push('B ran') })
  giveUp.abort()
  await b.catch(() => log.push('B gave up'))
  const c = locks.run('k', never(), async () => { log.push('C start') })
  await new Promise((resolve) => setImmediate(resolve))
  heldByA.open()
  await Promise.all([a, c])
  t.same(log, ['A start', 'B gave up', 'A end', 'C start'])
})
