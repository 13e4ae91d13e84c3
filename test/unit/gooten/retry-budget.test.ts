import t from 'tap'
import { RetryBudget } from '../../../src/gooten/retry-budget.js'

/** A clock the test moves by hand. */
function manualClock (): { now: () => number, advance: (ms: number) => void } {
  let ms = 0
  return { now: () => ms, advance: (by) => { ms += by } }
}

t.test('starts full, spends one token per retry, and a refused retry spends nothing', async (t) => {
  const clock = manualClock()
  const budget = new RetryBudget({ cap: 3, now: clock.now })
  t.same([budget.tryRetry(), budget.tryRetry(), budget.tryRetry(), budget.tryRetry()], [true, true, true, false])
  t.equal(budget.tokens, 0)
})

t.test('a quiet service earns its retries back with time alone', async (t) => {
  const clock = manualClock()
  const budget = new RetryBudget({ minPerSecond: 1, cap: 10, now: clock.now })
  while (budget.tryRetry());
  t.equal(budget.tryRetry(), false, 'spent by a failure episode')
  clock.advance(999)
  t.equal(budget.tryRetry(), false, 'not yet a whole token')
  clock.advance(1)
  t.equal(budget.tryRetry(), true, 'one second later, one retry')
  clock.advance(3_600_000)
  t.equal(budget.tokens, 10, 'a long quiet spell saves up no more than the cap')
})

t.test('under load each call earns `percent` of a token', async (t) => {
  const clock = manualClock()
  const budget = new RetryBudget({ percent: 0.1, minPerSecond: 0, cap: 10, now: clock.now })
  while (budget.tryRetry());
  let retries = 0
  for (let i = 0; i < 100; i++) {
    budget.recordCall()
    if (budget.tryRetry()) retries++
  }
  t.ok(retries >= 9 && retries <= 10, `${retries} retries for 100 calls`)
})

t.test('a Gooten that only fails sees at most percent plus the floor more calls', async (t) => {
  const clock = manualClock()
  const budget = new RetryBudget({ now: clock.now })
  // 200 requests a second for 10 seconds, each retried for as long as the budget lets it (two retries at most).
  let upstream = 0
  for (let i = 0; i < 2000; i++) {
    clock.advance(5)
    budget.recordCall()
    upstream++
    for (let retry = 0; retry < 2 && budget.tryRetry(); retry++) upstream++
  }
  t.ok(upstream <= 1.2 * 2000, `${upstream} upstream calls for 2000 requests`)
  t.ok(upstream >= 2000 * 1.1, 'and the budget is used: retries are not simply off')
})
