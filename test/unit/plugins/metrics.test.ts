import t from 'tap'
import { Registry } from 'prom-client'
import { businessMetrics, callerLabeller } from '../../../src/plugins/metrics.js'

t.test('a caller label is a configured name, anonymous, or other: never an identity outside the configuration', async (t) => {
  const label = callerLabeller(['support', 'dashboard'])
  t.equal(label('support'), 'support')
  t.equal(label('anonymous'), 'anonymous')
  t.equal(label(undefined), 'anonymous', 'no caller identified (a missing or wrong key)')
  t.equal(label('user@example.com'), 'other', 'e.g. a token subject')
  t.equal(label('writer-key-0123456789abcdef'), 'other')
})

t.test('counts reach the registry at scrape time, and keep adding up across scrapes', async (t) => {
  const registry = new Registry()
  const business = businessMetrics(registry, ['support'])
  const request = { caller: 'support', problemCode: undefined, answerOutcome: 'cancelled', answerItems: [{ itemId: 1, result: 'cancelled' as const, previousStatus: 'New' }] }
  business.cancelFinished(request)
  t.match(await registry.metrics(), /gooten_proxy_cancels_total\{caller="support",outcome="cancelled"\} 1\n/)
  business.cancelFinished(request)
  business.cancelFinished({ ...request, caller: 'someone-else' })
  const text = await registry.metrics()
  t.match(text, /gooten_proxy_cancels_total\{caller="support",outcome="cancelled"\} 2\n/)
  t.match(text, /gooten_proxy_cancels_total\{caller="other",outcome="cancelled"\} 1\n/)
  t.match(text, /gooten_proxy_cancel_items_total\{caller="support",result="cancelled",reason="none"\} 2\n/)
})
