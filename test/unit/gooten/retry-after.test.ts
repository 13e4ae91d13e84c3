import t from 'tap'
import { parseRetryAfter } from '../../../src/gooten/retry-after.js'

const NOW = Date.parse('2026-01-01T12:00:00Z')

t.test('parses delta-seconds and HTTP dates into milliseconds, at most a minute', async (t) => {
  const cases: Array<[string | string[] | undefined, number | undefined, string]> = [
    ['0', 0, 'no wait'],
    ['3', 3000, 'seconds'],
    [' 60 ', 60000, 'surrounding spaces'],
    ['61', 60000, 'beyond a minute is a minute'],
    ['999999999', 60000, 'absurd seconds'],
    ['Thu, 01 Jan 2026 12:00:30 GMT', 30000, 'a date ahead'],
    ['Thu, 01 Jan 2026 11:59:00 GMT', 0, 'a date past is now'],
    ['Sun, 01 Jan 2999 00:00:00 GMT', 60000, 'a date years ahead is a minute'],
    [['5', '10'], 5000, 'the first of several values'],
    ['', undefined, 'empty'],
    ['soon', undefined, 'words'],
    ['1234567890', undefined, 'ten digits'],
    ['Thu, 99 Foo 2026', undefined, 'a broken date'],
    [[], undefined, 'no values'],
    [undefined, undefined, 'no header']
  ]
  for (const [value, expected, label] of cases) t.equal(parseRetryAfter(value, NOW), expected, label)
})
