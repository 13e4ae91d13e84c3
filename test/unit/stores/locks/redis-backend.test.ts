import { once } from 'node:events'
import t from 'tap'
import { OrderBusyError } from '../../../../src/cancellation/errors.js'
import { LockDelayError, StoreUnavailableError } from '../../../../src/stores/errors.js'
import { RedisLockBackend } from '../../../../src/stores/locks/redis-backend.js'
import { SharedLocks } from '../../../../src/stores/locks/shared.js'
import { connectRedis } from '../../../../src/stores/redis-connection.js'
import { eventually } from '../../../helpers/eventually.js'
import { redisForTest } from '../../../helpers/redis.js'

// The Lua scripts, on a real Redis: what the in-memory backend of the other lock tests stands in for.
t.test('per-order locks on Redis', async (t) => {
  const { redis, disconnect } = connectRedis((await redisForTest(t)).url, { warn: () => {}, info: () => {} })
  t.teardown(disconnect)
  await once(redis, 'ready')

  t.test('locks: one holder at a time across replicas, released by the holder only', async (t) => {
    const one = new SharedLocks(new RedisLockBackend(redis, 5000))
    // The second replica's backend counts its attempts to take the lock.
    const twosBackend = new RedisLockBackend(redis, 5000)
    let attempts = 0
    const acquire = twosBackend.acquire.bind(twosBackend)
    twosBackend.acquire = async (key, token) => { attempts++; return await acquire(key, token) }
    const two = new SharedLocks(twosBackend)
    const log: string[] = []
    let release!: () => void
    const held = new Promise<void>((resolve) => { release = resolve })
    const since = await one.stamp()
    const first = one.run('gooten:1', since, { signal: new AbortController().signal }, async (stale) => { log.push(`one ${stale}`); await held; log.push('one end') })
    await eventually('the first to hold the lock', () => log.length === 1)
    const second = two.run('gooten:1', since, { signal: new AbortController().signal }, async (stale) => { log.push(`two ${stale}`) })
    await eventually('the second to ask three times', () => attempts >= 3)
    t.same(log, ['one false'], 'the second polls while the first holds the lock')
    release()
    await Promise.all([first, second])
    t.same(log, ['one false', 'one end', 'two true'], 'and reads again')
    t.equal(await redis.exists('gop:lock:held:gooten:1'), 0)
    t.ok(await redis.pttl('gop:lock:released:gooten:1') > 5000, 'the release is remembered longer than a lock lives')
  })

  t.test('locks: stale after a release since the stamp, or a lock that ran out unreleased', async (t) => {
    const locks = new SharedLocks(new RedisLockBackend(redis, 5000))
    const signal = new AbortController().signal
    const before = await locks.stamp()
    t.equal(await locks.run('gooten:2', before, { signal }, async (stale) => stale), false)
    t.equal(await locks.run('gooten:2', before, { signal }, async (stale) => stale), true)
    t.equal(await locks.run('gooten:2', await locks.stamp(), { signal }, async (stale) => stale), false)
    await locks.run('gooten:2', await locks.stamp(), { signal }, async () => { await redis.del('gop:lock:held:gooten:2') })
    t.equal(await locks.run('gooten:2', await locks.stamp(), { signal }, async (stale) => stale), true, 'its holder may have cancelled')
  })

  t.test('locks: a Redis that lost its keys (restarted empty) still makes an earlier read stale', async (t) => {
    const locks = new SharedLocks(new RedisLockBackend(redis, 5000))
    const signal = new AbortController().signal
    for (let i = 0; i < 3; i++) await locks.run('gooten:3', await locks.stamp(), { signal }, async () => {})
    const before = await locks.stamp()
    await redis.flushdb()
    // Another replica cancels the order after the loss, between our read and our lock.
    await locks.run('gooten:3', await locks.stamp(), { signal }, async () => {})
    t.equal(await locks.run('gooten:3', before, { signal }, async (stale) => stale), true, 'its cancel may have changed the order')
    t.equal(await locks.run('gooten:3', await locks.stamp(), { signal }, async (stale) => stale), false, 'a stamp after it is current again')
  })

  t.test('a lock wait ends at the request deadline with OrderBusyError', async (t) => {
    const locks = new SharedLocks(new RedisLockBackend(redis, 5000))
    await redis.set('gop:lock:held:gooten:busy', 'someone', 'PX', 5000)
    await t.rejects(locks.run('gooten:busy', 0, { signal: AbortSignal.timeout(50) }, async () => 'ran'), OrderBusyError)
  })
})

t.test('in-doubt marks and the lock-delay on Redis', async (t) => {
  const { redis, disconnect } = connectRedis((await redisForTest(t)).url, { warn: () => {}, info: () => {} })
  t.teardown(disconnect)
  await once(redis, 'ready')
  const signal = new AbortController().signal

  t.test('marks: all or none, while the lock is held; only its holder ends them', async (t) => {
    const locks = new SharedLocks(new RedisLockBackend(redis, 5000))
    await locks.run('gooten:10', 0, { signal }, async (_stale, lock) => {
      t.same(await lock.markInDoubt([1, 2], 60_000), [], 'both marked')
    })
    t.ok(await redis.pttl('gop:lock:doubt:gooten:10:1') > 59_000)
    await locks.run('gooten:10', 0, { signal }, async (_stale, lock) => {
      const found = await lock.markInDoubt([3, 2], 60_000)
      t.match(found, [{ itemId: 2 }])
      t.ok((found[0]?.remainingMs ?? 0) > 59_000, 'with the time its mark has left')
      t.equal(await redis.exists('gop:lock:doubt:gooten:10:3'), 0, 'none marked when one is')
      await lock.clearInDoubt([1, 2])
    })
    t.equal(await redis.exists('gop:lock:doubt:gooten:10:1', 'gop:lock:doubt:gooten:10:2'), 0, 'ended by the holder')
  })

  t.test('marks: a lock the store lost cannot mark, nor end another holder\'s marks', async (t) => {
    const locks = new SharedLocks(new RedisLockBackend(redis, 5000))
    await locks.run('gooten:11', 0, { signal }, async (_stale, lock) => {
      await redis.del('gop:lock:held:gooten:11')
      await t.rejects(lock.markInDoubt([1], 60_000), StoreUnavailableError)
      await redis.set('gop:lock:doubt:gooten:11:1', '1', 'PX', 60_000)
      await lock.clearInDoubt([1])
    })
    t.equal(await redis.exists('gop:lock:doubt:gooten:11:1'), 1)
  })

  t.test('lock-delay: a store without our epoch (empty, flushed) grants no lock until it has passed', async (t) => {
    await redis.flushdb()
    const reported: Array<[number, boolean]> = []
    const backend = new RedisLockBackend(redis, 5000, { lockDelayMs: 60_000, onLockDelay: (ms, detected) => { reported.push([ms, detected]) } })
    const locks = new SharedLocks(backend)
    const refused = await locks.run('gooten:12', 0, { signal }, async () => 'ran').catch((error: unknown) => error)
    t.type(refused, LockDelayError)
    t.ok((refused as LockDelayError).retryAfterMs > 59_000 && (refused as LockDelayError).retryAfterMs <= 60_000)
    t.ok(await backend.lockDelay() > 0, 'still in force')
    t.same(reported.map(([, detected]) => detected), [true, false], 'the loss is found once')
    t.equal(await redis.exists('gop:lock:held:gooten:12'), 0, 'no lock was taken')
  })

  t.test('lock-delay: an epoch of another Redis instance (a restart from a snapshot, a failover) starts one too', async (t) => {
    const runId = /run_id:(\w+)/.exec(await redis.info('server'))?.[1] as string
    const backend = new RedisLockBackend(redis, 5000, { lockDelayMs: 60_000 })
    await redis.set('gop:lock:epoch', `${runId}:0`)
    t.equal(await backend.lockDelay(), 0, 'this instance\'s epoch, long begun: no delay')
    t.equal(await new SharedLocks(backend).run('gooten:13', 0, { signal }, async () => 'ran'), 'ran')
    await redis.set('gop:lock:epoch', `${'0'.repeat(40)}:0`)
    t.ok(await backend.lockDelay() > 59_000, 'another instance\'s: a new epoch, and its delay')
    t.match(await redis.get('gop:lock:epoch'), new RegExp(`^${runId}:\\d+$`))
  })

  t.test('a store that cannot be reached fails the marks with StoreUnavailableError', async (t) => {
    const { redis: gone, disconnect: close } = connectRedis('redis://127.0.0.1:9', { warn: () => {}, info: () => {} })
    t.teardown(close)
    const backend = new RedisLockBackend(gone, 5000)
    await t.rejects(backend.markInDoubt('gooten:14', 'token', [1], 1000), StoreUnavailableError)
    await t.rejects(backend.lockDelay(), StoreUnavailableError)
  })
})
