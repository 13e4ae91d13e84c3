import t from 'tap'
import { RetryBudget } from '../../../src/gooten/retry-budget.js'

t.test('starts with the reserve and spends one token per retry', async (t) => {
  const budget = new RetryBudget()
  t.equal(budget.tokens, 3)
  t.equal(budget.tryRetry(), true)
  t.equal(budget.tryRetry(), true)
  t.equal(budget.tryRetry(), true)
  t.equal(budget.tryRetry(), false, 'empty')
  t.equal(budget.tokens, 0, 'a refused retry spends nothing')
})

t.test('each call earns ratio of a token', async (t) => {
  const budget = new RetryBudget(0.5, 0, 10)
  t.equal(budget.tryRetry(), false)
  budget.recordCall()
  t.equal(budget.tryRetry(), false, 'half a token is not enough')
  budget.recordCall()
  t.equal(budget.tryRetry(), true)
  t.equal(budget.tokens, 0)
})

t.test('with the default ratio, ten calls pay for one retry', async (t) => {
  const budget = new RetryBudget()
  for (let i = 0; i < 3; i++) budget.tryRetry()
  let retries = 0
  for (let i = 0; i < 100; i++) {
    budget.recordCall()
    if (budget.tryRetry()) retries++
  }
  t.ok(retries >= 9 && retries <= 10, `${retries} retries for 100 calls`)
})

t.test('tokens are capped', async (t) => {
  const budget = new RetryBudget(1, 0, 2)
  for (let i = 0; i < 10; i++) budget.recordCall()
  t.equal(budget.tokens, 2)
  t.equal(budget.tryRetry(), true)
  t.equal(budget.tryRetry(), true)
  t.equal(budget.tryRetry(), false)
})
