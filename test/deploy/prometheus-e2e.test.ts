import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { stringify } from 'yaml'
import { SEED } from '../../src/simulator/seed.js'
import { eventually } from '../helpers/eventually.js'
import { freePort } from '../helpers/free-port.js'
import { ruleGroups } from '../helpers/monitoring.js'
import { call, startStack } from '../helpers/stack.js'

// Debian's prometheus scrapes the running service every second and evaluates the real circuit alert,
// its `for:` cut to 3 s, every second; Gooten (the simulator) fails every call.
const ALERT = 'GootenProxyCircuitOpen'

interface PrometheusAlert { labels: Record<string, string>, annotations: Record<string, string>, state: string }

/** Starts prometheus on a free port; another process may take that port first, so a few tries. */
async function startPrometheus (t: { teardown: (fn: () => unknown) => void }, directory: string): Promise<string> {
  for (let attempt = 1; attempt <= 3; attempt++) {
    const port = await freePort()
    const child: ChildProcess = spawn('prometheus', [
      `--config.file=${join(directory, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(directory, `data-${attempt}`)}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn'
    ], { stdio: ['ignore', 'ignore', 'pipe'] })
    let stderr = ''
    child.stderr?.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
    const exited = once(child, 'exit')
    const url = `http://127.0.0.1:${port}`
    let ready = false
    await eventually('prometheus is ready or has exited', async () => {
      if (child.exitCode !== null) return true
      ready = (await fetch(`${url}/-/ready`).catch(() => undefined))?.status === 200
      return ready
    }, { withinMs: 30_000, everyMs: 100 })
    if (ready) {
      t.teardown(async () => {
        child.kill('SIGTERM')
        await exited
      })
      return url
    }
    await exited
    if (!/address already in use/.test(stderr)) throw new Error(`prometheus exited: ${stderr}`)
  }
  throw new Error('no free port for prometheus after 3 tries')
}

async function query (prometheus: string, path: string): Promise<unknown> {
  const answer = await (await fetch(`${prometheus}${path}`)).json() as { status: string, data: unknown }
  if (answer.status !== 'success') throw new Error(`prometheus answered ${JSON.stringify(answer)}`)
  return answer.data
}

const alertsNamed = async (prometheus: string): Promise<PrometheusAlert[]> =>
  ((await query(prometheus, '/api/v1/alerts')) as { alerts: PrometheusAlert[] }).alerts.filter((alert) => alert.labels.alertname === ALERT)

t.test('a real Prometheus scraping the service fires the circuit alert when Gooten fails every call', async (t) => {
  // Open for ten minutes once opened, so the state holds while the alert's `for:` runs.
  const { url, sim, app } = await startStack(t, { env: { CIRCUIT_OPEN_MS: '600000', UPSTREAM_TIMEOUT_MS: '2000' } })
  sim.enqueueFault({ kind: 'status', status: 503, times: Infinity })

  const directory = await mkdtemp(join(tmpdir(), 'gooten-prometheus-'))
  t.teardown(async () => { await rm(directory, { recursive: true, force: true }) })
  const rule = (await ruleGroups()).flatMap((group) => group.rules).find((candidate) => candidate.alert === ALERT)
  await writeFile(join(directory, 'rules.yaml'), stringify({ groups: [{ name: 'e2e', rules: [{ ...rule, for: '3s' }] }] }))
  await writeFile(join(directory, 'prometheus.yml'), stringify({
    global: { scrape_interval: '1s', scrape_timeout: '900ms', evaluation_interval: '1s' },
    rule_files: [join(directory, 'rules.yaml')],
    scrape_configs: [{ job_name: 'gooten-order-proxy', metrics_path: '/metrics', static_configs: [{ targets: [new URL(url).host], labels: { pod: 'e2e' } }] }]
  }))
  const prometheus = await startPrometheus(t, directory)

  const closedSeries = `/api/v1/query?query=${encodeURIComponent('gooten_upstream_circuit_state{job="gooten-order-proxy",state="closed"}')}`
  await eventually('Prometheus has scraped the closed circuit', async () => {
    const { result } = await query(prometheus, closedSeries) as { result: Array<{ value: [number, string] }> }
    return result[0]?.value[1] === '1'
  }, { withinMs: 60_000, everyMs: 250 })
  t.same(await alertsNamed(prometheus), [], 'no alert while the circuit is closed')

  // Each read makes up to three failing lookups; five failures in a row open the circuit.
  for (let i = 0; i < 10 && app.circuit.state !== 'open'; i++) {
    t.equal((await call(url, `/orders/${SEED.demo.safeId}/items`)).status, 503)
  }
  t.equal(app.circuit.state, 'open')

  let firing: PrometheusAlert | undefined
  await eventually('the circuit alert fires', async () => {
    firing = (await alertsNamed(prometheus)).find((alert) => alert.state === 'firing')
    return firing !== undefined
  }, { withinMs: 60_000, everyMs: 250 })
  t.match(firing, {
    labels: { alertname: ALERT, severity: 'warning', job: 'gooten-order-proxy', pod: 'e2e' },
    annotations: { runbook_url: /docs\/runbook\.md#gootenproxycircuitopen$/, description: /^e2e's circuit breaker has not closed/ }
  })
})
