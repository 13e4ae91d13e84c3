import { once } from 'node:events'
import { Redis } from 'ioredis'
import t from 'tap'
import { RedisLockBackend } from '../../../src/stores/locks/redis-backend.js'
import { SharedLocks } from '../../../src/stores/locks/shared.js'
import { connectRedis } from '../../../src/stores/redis-connection.js'
import { RedisIdempotencyStore } from '../../../src/stores/idempotency/redis.js'
import { StoreUnavailableError } from '../../../src/stores/errors.js'
import { eventually } from '../../helpers/eventually.js'
import { RedisServer } from '../../helpers/redis.js'

function quietLog (): { lines: string[], log: { warn: (o: object, m: string) => void, info: (o: object, m: string) => void } } {
  const lines: string[] = []
  return { lines, log: { warn: (_o, m) => lines.push(`warn ${m}`), info: (_o, m) => lines.push(`info ${m}`) } }
}

t.test('Redis going away and coming back', async (t) => {
  const server = await RedisServer.start(t)
  const { lines, log } = quietLog()
  const availability: boolean[] = []
  const { redis, disconnect } = connectRedis(server.url, log, (available) => { if (availability.at(-1) !== available) availability.push(available) })
  t.teardown(disconnect)
  await once(redis, 'ready')

  t.test('Redis going away: store errors, one warning, recovery logged', async (t) => {
    await server.stop()
    const store = new RedisIdempotencyStore(redis, 5000)
    await t.rejects(store.claim('k3', 'f'), StoreUnavailableError)
    const locks = new SharedLocks(new RedisLockBackend(redis, 5000))
    await t.rejects(locks.stamp(), StoreUnavailableError)
    await t.rejects(locks.run('gooten:y', 0, { signal: new AbortController().signal }, async () => 'ran'), StoreUnavailableError)
    // Several reconnect attempts fail meanwhile (events.once would reject on the 'error' between them).
    await new Promise<void>((resolve) => {
      let attempts = 0
      const counted = (): void => { if (++attempts === 3) { redis.off('reconnecting', counted); resolve() } }
      redis.on('reconnecting', counted)
    })
    t.same(lines, ['warn Redis is unavailable; cancels answer 503 until it returns'], 'one warning for the outage, whatever the reconnect attempts')
    await server.start()
    await once(redis, 'ready')
    t.same(lines, ['warn Redis is unavailable; cancels answer 503 until it returns', 'info Redis is available again'])
    t.same(availability, [true, false, true], 'the metrics hear each change')
    t.equal((await store.claim('k3', 'f')).kind, 'claimed')
  })
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

t.test('a Redis that stalls past the command timeout leaves no lock and no Idempotency-Key claim behind', async (t) => {
  const server = await RedisServer.start(t)
  const { redis, disconnect } = connectRedis(server.url, quietLog().log)
  t.teardown(disconnect)
  await once(redis, 'ready')
  const admin = new Redis(server.url)
  t.teardown(() => admin.disconnect())
  // A stall (a fork, a slow script, a paused VM) longer than the 1 s command timeout: the commands
  // are already on the wire, so Redis runs them after the stall, when their callers have given up.
  await admin.call('CLIENT', 'PAUSE', '1500', 'ALL')
  const locks = new SharedLocks(new RedisLockBackend(redis, 20_000))
  const store = new RedisIdempotencyStore(redis, 20_000)
  await Promise.all([
    t.rejects(locks.run('gooten:stalled', 0, { signal: new AbortController().signal }, async () => 'ran'), StoreUnavailableError),
    t.rejects(store.claim('stalled', 'f'), StoreUnavailableError)
  ])
  await eventually('Redis to answer again', async () => (await admin.ping()) === 'PONG')
  await eventually('the lock and the key to be free', async () => (await admin.exists('gop:lock:held:gooten:stalled', 'gop:idem:stalled')) === 0, { withinMs: 3000 })
  t.equal(await locks.run('gooten:stalled', await locks.stamp(), { signal: AbortSignal.timeout(500) }, async () => 'ran'), 'ran', 'the next cancel of the order takes it at once')
  t.equal((await store.claim('stalled', 'f')).kind, 'claimed', 'the retried request claims the key, not 409 IN_USE')
})
