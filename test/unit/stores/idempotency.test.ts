import { once } from 'node:events'
import t, { type Test } from 'tap'
import { MemoryIdempotencyStore } from '../../../src/stores/idempotency/memory.js'
import { RedisIdempotencyStore } from '../../../src/stores/idempotency/redis.js'
import { ANSWER_TTL_MS, type ClaimOutcome, type HeldClaim, type IdempotencyStore } from '../../../src/stores/idempotency/types.js'
import { connectRedis } from '../../../src/stores/redis-connection.js'
import { redisForTest } from '../../helpers/redis.js'

const answer = { status: 409, contentType: 'application/problem+json', body: '{"code":"ITEMS_NOT_CANCELLABLE"}' }
const quiet = { warn: () => {}, info: () => {} }

function held (outcome: ClaimOutcome): HeldClaim {
  if (outcome.kind !== 'claimed') throw new Error(`expected a claim, got ${outcome.kind}`)
  return outcome.claim
}

// The same promises from both stores.
async function behavesAsAStore (t: Test, store: IdempotencyStore): Promise<void> {
  const claim = held(await store.claim('k1', 'f'))
  t.same(await store.claim('k1', 'f'), { kind: 'in_progress' })
  await store.complete({ ...claim, token: 'someone-else' }, answer)
  await store.release({ ...claim, token: 'someone-else' })
  t.same(await store.claim('k1', 'f'), { kind: 'in_progress' }, 'only the holder completes or releases')
  await store.complete(claim, answer)
  t.same(await store.claim('k1', 'f'), { kind: 'replay', answer })
  t.same(await store.claim('k1', 'g'), { kind: 'mismatch' }, 'another fingerprint')
  const second = held(await store.claim('k2', 'f'))
  await store.release(second)
  t.equal((await store.claim('k2', 'other')).kind, 'claimed', 'a released key is free')
}

t.test('in memory', async (t) => {
  let now = 1_000
  const store = new MemoryIdempotencyStore(5_000, 10, () => now)
  await behavesAsAStore(t, store)

  t.test('claims expire after their hold time, answers after 24 hours', async (t) => {
    const store = new MemoryIdempotencyStore(5_000, 10, () => now)
    await store.claim('k', 'f')
    now += 5_000
    t.same(await store.claim('k', 'f'), { kind: 'in_progress' }, 'held for its whole hold time')
    now += 1
    const fresh = held(await store.claim('k', 'f'))
    await store.complete(fresh, answer)
    now += ANSWER_TTL_MS
    t.equal((await store.claim('k', 'f')).kind, 'replay')
    now += 1
    t.equal((await store.claim('k', 'f')).kind, 'claimed')
    await store.complete({ key: 'gone', token: 'x', fingerprint: 'f' }, answer)
    t.equal((await store.claim('gone', 'g')).kind, 'claimed', 'completing a claim that expired stores nothing')
  })

  t.test('memory stays bounded: beyond the cap the oldest record goes', async (t) => {
    const store = new MemoryIdempotencyStore(5_000, 2, () => now)
    await store.claim('a', 'f')
    await store.claim('b', 'f')
    await store.claim('c', 'f')
    t.equal((await store.claim('a', 'f')).kind, 'claimed', 'a was evicted')
    t.same(await store.claim('c', 'f'), { kind: 'in_progress' })
  })
})

t.test('in Redis', async (t) => {
  const { redis, disconnect } = connectRedis((await redisForTest(t)).url, quiet)
  t.teardown(disconnect)
  await once(redis, 'ready')
  const store = new RedisIdempotencyStore(redis, 5000)
  await behavesAsAStore(t, store)
  t.ok(await redis.pttl('gop:idem:k1') > 23 * 3600 * 1000, 'an answer is kept for 24 hours')
  t.ok(await redis.pttl('gop:idem:k2') <= 5000, 'a claim only for its hold time')
  await store.complete({ key: 'gone', token: 'x', fingerprint: 'f' }, answer)
  t.equal(await redis.exists('gop:idem:gone'), 0, 'completing a claim that expired stores nothing')
})
