import { once } from 'node:events'
import t from 'tap'
import type { Redis } from 'ioredis'
import { OrderBusyError } from '../../../src/cancellation/errors.js'
import { RedisLockBackend } from '../../../src/stores/locks/redis-backend.js'
import { SharedLocks } from '../../../src/stores/locks/shared.js'
import { connectRedis } from '../../../src/stores/redis-connection.js'
import { RedisIdempotencyStore } from '../../../src/stores/idempotency/redis.js'
import { StoreUnavailableError } from '../../../src/stores/idempotency/types.js'
import { RedisServer } from '../../helpers/redis.js'

const answer = { status: 409, contentType: 'application/problem+json', body: '{}' }

function quietLog (): { lines: string[], log: { warn: (o: object, m: string) => void, info: (o: object, m: string) => void } } {
  const lines: string[] = []
  return { lines, log: { warn: (_o, m) => lines.push(`warn ${m}`), info: (_o, m) => lines.push(`info ${m}`) } }
}

t.test('against a real Redis', async (t) => {
  const server = await RedisServer.start(t)
  const { lines, log } = quietLog()
  const { redis, disconnect } = connectRedis(server.url, log)
  t.teardown(disconnect)
  await once(redis, 'ready')

  t.test('idempotency records: claim, in progress, replay, mismatch, release', async (t) => {
    const store = new RedisIdempotencyStore(redis, 5000)
    const claim = await store.claim('k1', 'f')
    t.equal(claim.kind, 'claimed')
    t.same(await store.claim('k1', 'f'), { kind: 'in_progress' })
    await store.complete('k1', 'someone-else', answer)
    t.same(await store.claim('k1', 'f'), { kind: 'in_progress' }, 'only the holder completes')
    await store.complete('k1', (claim as { token: string }).token, answer)
    t.same(await store.claim('k1', 'f'), { kind: 'replay', answer })
    t.same(await store.claim('k1', 'g'), { kind: 'mismatch' })
    t.ok(await redis.pttl('gop:idem:k1') > 23 * 3600 * 1000, 'kept for 24 hours')
    const second = await store.claim('k2', 'f') as { token: string }
    await store.release('k2', second.token)
    t.equal((await store.claim('k2', 'f')).kind, 'claimed')
    await store.complete('gone', 'token', answer)
    t.equal(await redis.exists('gop:idem:gone'), 0, 'completing a claim that expired stores nothing')
  })

  t.test('locks: one holder at a time across replicas, released by the holder only', async (t) => {
    const one = new SharedLocks(new RedisLockBackend(redis, 5000))
    const two = new SharedLocks(new RedisLockBackend(redis, 5000))
    const log: string[] = []
    let release!: () => void
    const held = new Promise<void>((resolve) => { release = resolve })
    const since = await one.stamp()
    const first = one.run('gooten:1', since, new AbortController().signal, async (stale) => { log.push(`one ${stale}`); await held; log.push('one end') })
    while (log.length === 0) await new Promise((resolve) => setTimeout(resolve, 5))
    const second = two.run('gooten:1', since, new AbortController().signal, async (stale) => { log.push(`two ${stale}`) })
    await new Promise((resolve) => setTimeout(resolve, 60))
    t.same(log, ['one false'], 'the second waits')
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
    t.equal(await locks.run('gooten:2', before, signal, async (stale) => stale), false)
    t.equal(await locks.run('gooten:2', before, signal, async (stale) => stale), true)
    t.equal(await locks.run('gooten:2', await locks.stamp(), signal, async (stale) => stale), false)
    await locks.run('gooten:2', await locks.stamp(), signal, async () => { await redis.del('gop:lock:held:gooten:2') })
    t.equal(await locks.run('gooten:2', await locks.stamp(), signal, async (stale) => stale), true, 'its holder may have cancelled')
  })

  t.test('a lock wait ends at the request deadline with OrderBusyError', async (t) => {
    const locks = new SharedLocks(new RedisLockBackend(redis, 5000))
    await redis.set('gop:lock:held:gooten:busy', 'someone', 'PX', 5000)
    await t.rejects(locks.run('gooten:busy', 0, AbortSignal.timeout(50), async () => 'ran'), OrderBusyError)
  })

  t.test('Redis going away: store errors, one warning, recovery logged', async (t) => {
    await server.stop()
    const store = new RedisIdempotencyStore(redis, 5000)
    await t.rejects(store.claim('k3', 'f'), StoreUnavailableError)
    const locks = new SharedLocks(new RedisLockBackend(redis, 5000))
    await t.rejects(locks.stamp(), StoreUnavailableError)
    await t.rejects(locks.run('gooten:y', 0, new AbortController().signal, async () => 'ran'), StoreUnavailableError)
    while (lines.length === 0) await new Promise((resolve) => setTimeout(resolve, 10))
    await new Promise((resolve) => setTimeout(resolve, 500))
    t.same(lines, ['warn Redis is unavailable; cancels answer 503 until it returns'], 'one warning for the outage, whatever the reconnect attempts')
    await server.start()
    await once(redis, 'ready')
    t.same(lines, ['warn Redis is unavailable; cancels answer 503 until it returns', 'info Redis is available again'])
    t.equal((await store.claim('k3', 'f')).kind, 'claimed')
  })
})

t.test('a claim whose record expires between SET NX and GET is tried again', async (t) => {
  const calls: string[] = []
  const flaky = {
    set: async () => { calls.push('set'); return null },
    get: async () => { calls.push('get'); return null }
  } as unknown as Redis
  t.same(await new RedisIdempotencyStore(flaky, 5000).claim('k', 'f'), { kind: 'in_progress' }, 'after two tries, treated as busy')
  t.same(calls, ['set', 'get', 'set', 'get'])
})

t.test('closing the connection on shutdown is not reported as an outage', async (t) => {
  const server = await RedisServer.start(t)
  const { lines, log } = quietLog()
  const { redis, disconnect } = connectRedis(server.url, log)
  await once(redis, 'ready')
  disconnect()
  await once(redis, 'end')
  t.same(lines, [])
})
