import t from 'tap'
import { parseRetryAfter } from '../../../src/gooten/retry-after.js'

const NOW = Date.parse('2026-01-01T12:00:00Z')

t.test('delta-seconds', async (t) => {
  t.equal(parseRetryAfter('0', NOW), 0)
  t.equal(parseRetryAfter('3', NOW), 3000)
  t.equal(parseRetryAfter(' 60 ', NOW), 60000)
})

t.test('a wait beyond a minute is taken as a minute', async (t) => {
  t.equal(parseRetryAfter('61', NOW), 60000)
  t.equal(parseRetryAfter('999999999', NOW), 60000)
  t.equal(parseRetryAfter('Sun, 01 Jan 2999 00:00:00 GMT', NOW), 60000)
})

t.test('HTTP-date', async (t) => {
  t.equal(parseRetryAfter('Thu, 01 Jan 2026 12:00:30 GMT', NOW), 30000, 'in the future')
  t.equal(parseRetryAfter('Thu, 01 Jan 2026 11:59:00 GMT', NOW), 0, 'in the past is now')
})

t.test('now defaults to the clock', async (t) => {
  t.equal(parseRetryAfter('Thu, 01 Jan 1970 00:00:00 GMT'), 0)
  t.equal(parseRetryAfter('7'), 7000)
})

t.test('garbage is ignored', async (t) => {
  for (const value of ['', 'soon', '1234567890', 'Thu, 99 Foo 2026']) {
    t.equal(parseRetryAfter(value, NOW), undefined, JSON.stringify(value))
  }
})

t.test('arrays use the first value; undefined stays undefined', async (t) => {
  t.equal(parseRetryAfter(['5', '10'], NOW), 5000)
  t.equal(parseRetryAfter([], NOW), undefined)
  t.equal(parseRetryAfter(undefined, NOW), undefined)
})
