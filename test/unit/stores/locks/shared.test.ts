import t from 'tap'
import { OrderBusyError } from '../../../../src/cancellation/errors.js'
import { SharedLocks } from '../../../../src/stores/locks/shared.js'
import { MemoryLockBackend } from '../../../helpers/memory-lock-backend.js'

const never = (): { signal: AbortSignal } => ({ signal: new AbortController().signal })

/** A poll pause that yields to other tasks instead of sleeping. */
const yieldPause = async (signal: AbortSignal): Promise<void> => {
  await new Promise((resolve) => setImmediate(resolve))
  signal.throwIfAborted()
}

function gate (): { promise: Promise<void>, open: () => void } {
  let open!: () => void
  const promise = new Promise<void>((resolve) => { open = resolve })
  return { promise, open }
}

t.test('replicas sharing a store take turns, and a waiter reads again', async (t) => {
  const backend = new MemoryLockBackend()
  const one = new SharedLocks(backend, yieldPause)
  const two = new SharedLocks(backend, yieldPause)
  const log: string[] = []
  const held = gate()
  const since = await one.stamp()
  const first = one.run('gooten:1', since, never(), async (stale) => { log.push(`one ${stale}`); await held.promise; log.push('one end') })
  await new Promise((resolve) => setImmediate(resolve))
  const second = two.run('gooten:1', since, never(), async (stale) => { log.push(`two ${stale}`) })
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve))
  t.same(log, ['one false'], 'the second replica polls while the first holds the lock')
  held.open()
  await Promise.all([first, second])
  t.same(log, ['one false', 'one end', 'two true'])
  t.same(backend.held, [], 'both released')
})

t.test('stale when released after the stamp, or when the previous holder never released', async (t) => {
  const backend = new MemoryLockBackend()
  const locks = new SharedLocks(backend, yieldPause)
  const before = await locks.stamp()
  t.equal(await locks.run('k', before, never(), async (stale) => stale), false, 'never held')
  t.equal(await locks.run('k', before, never(), async (stale) => stale), true, 'released since')
  t.equal(await locks.run('k', await locks.stamp(), never(), async (stale) => stale), false, 'released before the stamp')

  const stuck = gate()
  const crashed = locks.run('k', await locks.stamp(), never(), async () => {
    backend.expire('k')
    await stuck.promise
  })
  t.equal(await locks.run('k', await locks.stamp(), never(), async (stale) => stale), true, 'a holder whose lock ran out may have changed the order')
  stuck.open()
  await crashed
})

t.test('a wait that outlasts the deadline is OrderBusyError; the task never runs', async (t) => {
  const backend = new MemoryLockBackend()
  const locks = new SharedLocks(backend, yieldPause)
  const held = gate()
  const holder = locks.run('k', 0, never(), async () => await held.promise)
  await new Promise((resolve) => setImmediate(resolve))
  const controller = new AbortController()
  let ran = false
  const waiting = locks.run('k', 0, { signal: controller.signal }, async () => { ran = true }).catch((error: unknown) => error)
  controller.abort()
  t.ok(await waiting instanceof OrderBusyError)
  held.open()
  await holder
  t.equal(ran, false)
})

t.test('a failed release is left to the lock\'s expiry; the task\'s answer stands', async (t) => {
  const backend = new MemoryLockBackend()
  backend.release = async () => { throw new Error('store gone') }
  t.equal(await new SharedLocks(backend).run('k', 0, never(), async () => 'done'), 'done')
})
