import t from 'tap'
import { MemoryInDoubtMarks } from '../../../../src/stores/locks/in-doubt-memory.js'
import { InProcessLocks } from '../../../../src/stores/locks/in-process.js'

t.test('marks: all or none, until they end or are cleared', async (t) => {
  let now = 0
  const marks = new MemoryInDoubtMarks(() => now)
  t.same(marks.mark('gooten:1', [1, 2], 1000), [])
  now = 400
  t.same(marks.mark('gooten:1', [3, 2], 1000), [{ itemId: 2, remainingMs: 600 }], 'one still marked: none marked')
  t.same(marks.mark('gooten:2', [1], 1000), [], 'another order\'s items are its own')
  now = 1000
  t.same(marks.mark('gooten:1', [2, 3], 1000), [], 'an ended mark no longer counts')
  marks.clear('gooten:1', [2, 3])
  t.same(marks.mark('gooten:1', [2], 5), [])
})

t.test('ended marks are swept once the map has doubled, never one still running', async (t) => {
  let now = 0
  const marks = new MemoryInDoubtMarks(() => now)
  for (let item = 0; item < 1000; item++) marks.mark('gooten:1', [item], 10)
  now = 20
  for (let item = 0; item < 23; item++) marks.mark('gooten:2', [item], 1_000_000)
  t.equal(marks.size, 1023)
  marks.mark('gooten:2', [23], 1_000_000)
  t.equal(marks.size, 24, 'the 1000 ended ones went')
  t.match(marks.mark('gooten:2', [0], 1), [{ itemId: 0 }], 'the running ones stay')
})

t.test('in-process locks hand their task the marks, on a real clock by default', async (t) => {
  const locks = new InProcessLocks()
  const signal = new AbortController().signal
  await locks.run('gooten:1', 0, { signal }, async (_stale, lock) => { t.same(await lock.markInDoubt([1], 60_000), []) })
  await locks.run('gooten:1', 0, { signal }, async (_stale, lock) => {
    t.match(await lock.markInDoubt([1], 60_000), [{ itemId: 1 }])
    await lock.clearInDoubt([1])
    t.same(await lock.markInDoubt([1], 60_000), [])
  })
})
