import { once } from 'node:events'
import t, { type Test } from 'tap'
import { MemoryIdempotencyStore } from '../../../src/stores/idempotency/memory.js'
import { RedisIdempotencyStore } from '../../../src/stores/idempotency/redis.js'
import { packAnswer, unpackAnswer } from '../../../src/stores/idempotency/packing.js'
import { ANSWER_TTL_MS, ERROR_ANSWER_TTL_MS, type ClaimOutcome, type HeldClaim, type IdempotencyStore } from '../../../src/stores/idempotency/types.js'
import { connectRedis } from '../../../src/stores/redis-connection.js'
import { redisForTest } from '../../helpers/redis.js'

const answer = { status: 409, contentType: 'application/problem+json', body: '{"code":"ITEMS_NOT_CANCELLABLE"}' }
const quiet = { warn: () => {}, info: () => {} }

// The largest answer a caller can have kept: a 422 listing 100 items (some 11 kB).
const bigRefusal = {
  status: 422,
  contentType: 'application/problem+json; charset=utf-8',
  body: JSON.stringify({
    type: 'urn:problem:gooten-order-proxy:items-not-in-order',
    title: 'Items are not in this order',
    status: 422,
    detail: '100 of the requested items are not in this order.',
    code: 'ITEMS_NOT_IN_ORDER',
    requestId: 'b1f0c3a2-9d7e-4c1a-8f55-2f0d6f1e9a10',
    items: Array.from({ length: 100 }, (_, i) => ({ itemId: 80_000_000 + i, result: 'failed', previousStatus: null, reason: 'The order has no item with this id.' }))
  })
}

t.test('a record keeps an answer packed: a tenth of its bytes or less, given back whole', async (t) => {
  const packed = packAnswer(bigRefusal)
  t.ok(packed.length * 10 <= bigRefusal.body.length, `${packed.length} characters for a ${bigRefusal.body.length}-byte answer`)
  t.same(unpackAnswer(packed), bigRefusal)
  t.same(unpackAnswer(packAnswer(answer)), answer)
})

function held (outcome: ClaimOutcome): HeldClaim {
  if (outcome.kind !== 'claimed') throw new Error(`expected a claim, got ${outcome.kind}`)
  return outcome.claim
}

// The same promises from both stores.
async function behavesAsAStore (t: Test, store: IdempotencyStore): Promise<void> {
  const claim = held(await store.claim('k1', 'f'))
  t.same(await store.claim('k1', 'f'), { kind: 'in_progress' })
  await store.complete({ ...claim, token: 'someone-else' }, answer, ANSWER_TTL_MS)
  await store.release({ ...claim, token: 'someone-else' })
  t.same(await store.claim('k1', 'f'), { kind: 'in_progress' }, 'only the holder completes or releases')
  await store.complete(claim, answer, ANSWER_TTL_MS)
  t.same(await store.claim('k1', 'f'), { kind: 'replay', answer })
  t.same(await store.claim('k1', 'g'), { kind: 'mismatch' }, 'another fingerprint')
  const second = held(await store.claim('k2', 'f'))
  await store.release(second)
  t.equal((await store.claim('k2', 'other')).kind, 'claimed', 'a released key is free')
}

t.test('in memory', async (t) => {
  let now = 1_000
  const store = new MemoryIdempotencyStore(5_000, 10_000, () => now)
  await behavesAsAStore(t, store)

  t.test('claims expire after their hold time, answers after the time they are given', async (t) => {
    const store = new MemoryIdempotencyStore(5_000, 10_000, () => now)
    await store.claim('k', 'f')
    now += 5_000
    t.same(await store.claim('k', 'f'), { kind: 'in_progress' }, 'held for its whole hold time')
    now += 1
    const fresh = held(await store.claim('k', 'f'))
    await store.complete(fresh, answer, ERROR_ANSWER_TTL_MS)
    now += ERROR_ANSWER_TTL_MS
    t.equal((await store.claim('k', 'f')).kind, 'replay')
    now += 1
    t.equal((await store.claim('k', 'f')).kind, 'claimed')
    await store.complete({ key: 'gone', token: 'x', fingerprint: 'f' }, answer, ANSWER_TTL_MS)
    t.equal((await store.claim('gone', 'g')).kind, 'claimed', 'completing a claim that expired stores nothing')
  })

  t.test('memory stays bounded by bytes: beyond the cap the least recently used record goes', async (t) => {
    // Two claims' worth: 200 bytes of overhead and two bytes a character of key, fingerprint and token.
    const store = new MemoryIdempotencyStore(5_000, 600, () => now)
    await store.claim('a', 'f')
    await store.claim('b', 'f')
    await store.claim('c', 'f')
    t.equal((await store.claim('a', 'f')).kind, 'claimed', 'a was evicted')
    t.same(await store.claim('c', 'f'), { kind: 'in_progress' })
  })

  t.test('thousands of keys of 100-item refusals stay within the byte cap', async (t) => {
    const maxBytes = 1024 * 1024
    const store = new MemoryIdempotencyStore(5_000, maxBytes, () => now)
    const keys = 3_000
    for (let i = 0; i < keys; i++) await store.complete(held(await store.claim(`key-${i}`, 'f')), bigRefusal, ERROR_ANSWER_TTL_MS)
    t.same(await store.claim(`key-${keys - 1}`, 'f'), { kind: 'replay', answer: bigRefusal }, 'the newest is replayed')
    // The records kept are the newest ones: count back from the newest to the first one gone.
    let kept = 0
    while (kept < keys && (await store.claim(`key-${keys - 1 - kept}`, 'f')).kind === 'replay') kept++
    // Each record counts its packed answer at two bytes a character against the cap.
    t.ok(kept > 300 && kept < keys && kept * 2 * packAnswer(bigRefusal).length <= maxBytes, `${kept} of ${keys} kept within 1 MiB`)
  })
})

t.test('in Redis', async (t) => {
  const { redis, disconnect } = connectRedis((await redisForTest(t)).url, quiet)
  t.teardown(disconnect)
  await once(redis, 'ready')
  const store = new RedisIdempotencyStore(redis, 5000)
  await behavesAsAStore(t, store)
  t.ok(await redis.pttl('gop:idem:k1') > 23 * 3600 * 1000, 'an answer is kept for the time given')
  t.ok(await redis.pttl('gop:idem:k2') <= 5000, 'a claim only for its hold time')
  await store.complete(held(await store.claim('refused', 'f')), bigRefusal, ERROR_ANSWER_TTL_MS)
  const pttl = await redis.pttl('gop:idem:refused')
  t.ok(pttl > 3500 * 1000 && pttl <= ERROR_ANSWER_TTL_MS, 'a refusal for an hour')
  const bytes = await redis.strlen('gop:idem:refused')
  t.ok(bytes * 8 < bigRefusal.body.length, `a 100-item refusal takes ${bytes} bytes, not ${bigRefusal.body.length}`)
  t.same(await store.claim('refused', 'f'), { kind: 'replay', answer: bigRefusal })
  await store.complete({ key: 'gone', token: 'x', fingerprint: 'f' }, answer, ANSWER_TTL_MS)
  t.equal(await redis.exists('gop:idem:gone'), 0, 'completing a claim that expired stores nothing')
})
