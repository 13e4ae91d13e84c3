import { once } from 'node:events'
import t from 'tap'
import { OrderBusyError } from '../../../../src/cancellation/errors.js'
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
