import t from 'tap'
import { SEED } from '../../src/simulator/seed.js'
import { checkedFetch } from '../helpers/contract.js'
import { dashboardQueries, metricNames, ruleGroups } from '../helpers/monitoring.js'
import { call, cancelPath, startStack } from '../helpers/stack.js'

const { demo, mixed } = SEED
const KEY = 'writer-key-0123456789abcdef'

// Series that come from elsewhere than the service, and from where.
const EXTERNAL: Record<string, string> = {
  up: 'Prometheus, one per scrape target',
  kube_deployment_spec_replicas: 'kube-state-metrics',
  kube_deployment_status_replicas_available: 'kube-state-metrics'
}

const groups = await ruleGroups()
const recorded = new Set(groups.flatMap((group) => group.rules).flatMap((rule) => rule.record ?? []))
const queries = [
  ...groups.flatMap((group) => group.rules).map((rule) => ({ where: `rule ${rule.record ?? rule.alert ?? ''}`, expr: rule.expr })),
  ...(await dashboardQueries()).map(({ panel, expr }) => ({ where: `panel "${panel}"`, expr }))
]

t.test('the PromQL reader finds the metrics of an expression, and nothing else', async (t) => {
  t.same([...metricNames('sum by (le, op) (rate(a_bucket{job="x",le="2.5"}[5m] offset 1h)) / on (op) group_left (x) b_total > bool 0.5 and c:ratio_rate5m or histogram_quantile(0.99, d[$__rate_interval]) unless absent(up{job="y"} == 1)')].sort(),
    ['a_bucket', 'b_total', 'c:ratio_rate5m', 'd', 'up'])
})

t.test('every metric a rule or a dashboard panel queries is exported by the running service after real traffic', async (t) => {
  const { url, sim } = await startStack(t, { env: { API_KEYS: `support:${KEY}` } })
  const headers = { authorization: `Bearer ${KEY}` }
  // A lookup retried after a 503, cancels that succeed, fail a pre-check and end in doubt, a refused caller.
  sim.enqueueFault({ kind: 'status', op: 'getOrder', status: 503 })
  await call(url, cancelPath(demo.safeId), { body: { itemIds: [demo.items.new] }, headers })
  await call(url, cancelPath(mixed.safeId), { body: { itemIds: [mixed.items.shipped] }, headers })
  sim.enqueueFault({ kind: 'reset', op: 'cancelItems' })
  await call(url, cancelPath(demo.safeId), { body: { itemIds: [demo.items.hold] }, headers })
  await call(url, cancelPath(demo.safeId), { body: { itemIds: [demo.items.hold] } })
  await call(url, `/orders/${demo.safeId}/items`, { headers })

  const exposition = await (await checkedFetch(`${url}/metrics`)).text()
  const exported = new Set(exposition.split('\n').filter((line) => line !== '' && !line.startsWith('#')).map((line) => /^[^{ ]+/.exec(line)?.[0]))
  const used = new Set<string>()
  for (const { where, expr } of queries) {
    for (const name of metricNames(expr)) {
      used.add(name)
      if (recorded.has(name)) continue
      if (name in EXTERNAL) continue
      t.ok(exported.has(name), `${name} (${where}) is exported`)
    }
  }
  for (const name of recorded) t.ok(used.has(name), `the recorded ${name} is used`)
  for (const name of Object.keys(EXTERNAL)) t.ok(used.has(name), `${name} is still queried`)
})
