import { once } from 'node:events'
import t from 'tap'
import { RedisLockBackend } from '../../../src/stores/locks/redis-backend.js'
import { SharedLocks } from '../../../src/stores/locks/shared.js'
import { connectRedis } from '../../../src/stores/redis-connection.js'
import { RedisIdempotencyStore } from '../../../src/stores/idempotency/redis.js'
import { StoreUnavailableError } from '../../../src/stores/errors.js'
import { RedisServer } from '../../helpers/redis.js'

function quietLog (): { lines: string[], log: { warn: (o: object, m: string) => void, info: (o: object, m: string) => void } } {
  const lines: string[] = []
  return { lines, log: { warn: (_o, m) => lines.push(`warn ${m}`), info: (_o, m) => lines.push(`info ${m}`) } }
}

t.test('Redis going away and coming back', async (t) => {
  const server = await RedisServer.start(t)
  const { lines, log } = quietLog()
  const { redis, disconnect } = connectRedis(server.url, log)
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
