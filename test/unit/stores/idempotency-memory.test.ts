import t from 'tap'
import { MemoryIdempotencyStore } from '../../../src/stores/idempotency/memory.js'
import { ANSWER_TTL_MS } from '../../../src/stores/idempotency/types.js'

const answer = { status: 200, contentType: 'application/json', body: '{"ok":true}' }

function setup (maxEntries = 10): { store: MemoryIdempotencyStore, clock: { now: number } } {
  const clock = { now: 1_000 }
  return { store: new MemoryIdempotencyStore(5_000, maxEntries, () => clock.now), clock }
}

t.test('claim, then in progress, then replay; another fingerprint is a mismatch', async (t) => {
  const { store } = setup()
  const claim = await store.claim('k', 'f1')
  t.equal(claim.kind, 'claimed')
  t.same(await store.claim('k', 'f1'), { kind: 'in_progress' })
  await store.complete('k', (claim as { token: string }).token, answer)
  t.same(await store.claim('k', 'f1'), { kind: 'replay', answer })
  t.same(await store.claim('k', 'f2'), { kind: 'mismatch' })
})

t.test('only the claim holder completes or releases', async (t) => {
  const { store } = setup()
  await store.claim('k', 'f')
  await store.complete('k', 'not-the-token', answer)
  await store.release('k', 'not-the-token')
  t.same(await store.claim('k', 'f'), { kind: 'in_progress' }, 'untouched')
})

t.test('a released claim frees the key', async (t) => {
  const { store } = setup()
  const claim = await store.claim('k', 'f') as { token: string }
  await store.release('k', claim.token)
  t.equal((await store.claim('k', 'other')).kind, 'claimed')
})

t.test('claims expire after their hold time, answers after 24 hours', async (t) => {
  const { store, clock } = setup()
  await store.claim('k', 'f')
  clock.now += 5_000
  const fresh = await store.claim('k', 'f') as { kind: string, token: string }
  t.equal(fresh.kind, 'claimed', 'an abandoned claim does not block forever')
  await store.complete('k', fresh.token, answer)
  clock.now += ANSWER_TTL_MS - 1
  t.equal((await store.claim('k', 'f')).kind, 'replay')
  clock.now += 1
  t.equal((await store.claim('k', 'f')).kind, 'claimed')
})

t.test('memory stays bounded: beyond the cap the oldest record goes', async (t) => {
  const { store } = setup(2)
  await store.claim('a', 'f')
  await store.claim('b', 'f')
  await store.claim('c', 'f')
  t.equal((await store.claim('a', 'f')).kind, 'claimed', 'a was evicted')
  t.same(await store.claim('c', 'f'), { kind: 'in_progress' })
})
