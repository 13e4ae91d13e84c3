// `npm run soak`: steady load on the built service with 2% of requests preceded by an injected
// Gooten fault of a kind the service must absorb (retryable lookup failures, a reset after a
// cancel was applied, slow answers). At most one fault is pending at a time, so every failure
// the service sees is a single one it is built to absorb. Bounded by SOAK_SECONDS (default 180).
// Reports unexpected 5xx, unhandled errors, and heap and upstream sockets over time: the raw
// data in bench/results/raw/soak.{json,md}, and, for a run of the standard length and workers,
// the committed summary bench/results/soak.md.
import { spawn, type ChildProcess } from 'node:child_process'
import { setTimeout as sleep } from 'node:timers/promises'
import { Pool } from 'undici'
import { isStandardRun, machine, workingTreeSource, writeRun } from '../bench/lib/record.js'
import { renderSoak, type SoakResult, type SoakSample } from './soak-report.js'

const seconds = Number(process.env.SOAK_SECONDS ?? 180)
const workers = Number(process.env.SOAK_WORKERS ?? 8)
const FAULT_RATE = 0.02
const simPort = 47110
const servicePort = 47100
const root = new URL('../', import.meta.url)

const FAULTS = [
  { kind: 'status', op: 'getOrder', status: 503 },
  { kind: 'status', op: 'getOrder', status: 429, retryAfter: '0' },
  { kind: 'reset', op: 'getOrder' },
  { kind: 'delay', op: 'getOrder', ms: 300 },
  { kind: 'reset-after-apply', op: 'cancelItems' },
  { kind: 'close-keepalive' }
]

/** A fault in words, for the report: `503 on a lookup`, `reset after an applied cancel`. */
function describeFault (fault: typeof FAULTS[number]): string {
  const on = fault.op === 'getOrder' ? ' on a lookup' : fault.op === 'cancelItems' ? ' on a cancel' : ''
  if (fault.kind === 'status') return `${fault.status}${fault.retryAfter === undefined ? '' : ` with Retry-After ${fault.retryAfter}`}${on}`
  if (fault.kind === 'delay') return `a ${fault.ms} ms delay${on}`
  if (fault.kind === 'reset-after-apply') return 'a reset after the cancel was applied'
  if (fault.kind === 'close-keepalive') return '`Connection: close`'
  return `a ${fault.kind}${on}`
}

function start (entry: string, env: Record<string, string>, output: string[]): ChildProcess {
  const child = spawn(process.execPath, [new URL(entry, root).pathname], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  child.stdout?.on('data', (chunk: Buffer) => output.push(...chunk.toString().split('\n').filter(Boolean)))
  child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString()))
  return child
}

async function waitFor (url: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(url)).ok) return
    } catch { /* not yet listening */ }
    await sleep(50)
  }
  throw new Error(`${url} did not come up:\n${[...serviceLog, ...simLog].join('\n')}`)
}

const serviceLog: string[] = []
const simLog: string[] = []
const sim = start('dist/simulator/main.js', { SIM_PORT: String(simPort) }, simLog)
await waitFor(`http://127.0.0.1:${simPort}/__sim/stats`)
const service = start('dist/server.js', {
  GOOTEN_BASE_URL: `http://127.0.0.1:${simPort}`,
  GOOTEN_RECIPE_ID: 'sim-recipe-id',
  GOOTEN_PARTNER_BILLING_KEY: 'sim+billing/key==',
  HOST: '127.0.0.1',
  PORT: String(servicePort),
  LOG_LEVEL: 'warn',
  RATE_LIMIT_PER_MINUTE: '1000000',
  NODE_ENV: 'production'
}, serviceLog)
const serviceUrl = `http://127.0.0.1:${servicePort}`
await waitFor(`${serviceUrl}/health/ready`)

const toService = new Pool(serviceUrl, { connections: workers })
const toSim = new Pool(`http://127.0.0.1:${simPort}`, { connections: 4 })
const counts = { requests: 0, ok: 0, clientErrors: 0, unexpected5xx: 0, networkErrors: 0, faultsInjected: 0 }
const samples: SoakSample[] = []
const firstUnexpected: unknown[] = []
let injecting = false

async function json (pool: Pool, method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number, value: unknown }> {
  const response = await pool.request({ method, path, headers: { 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) })
  return { status: response.statusCode, value: await response.body.json() }
}

async function serviceCall (method: 'GET' | 'POST', path: string, body?: unknown): Promise<void> {
  if (Math.random() < FAULT_RATE && !injecting) {
    injecting = true
    const { faults } = (await json(toSim, 'GET', '/__sim/faults')).value as { faults: unknown[] }
    if (faults.length === 0) {
      counts.faultsInjected++
      await json(toSim, 'POST', '/__sim/faults', FAULTS[Math.floor(Math.random() * FAULTS.length)])
    }
    injecting = false
  }
  counts.requests++
  try {
    const { status, value } = await json(toService, method, path, body)
    if (status < 400) counts.ok++
    else if (status < 500) counts.clientErrors++
    else {
      counts.unexpected5xx++
      if (firstUnexpected.length < 10) firstUnexpected.push({ method, path, status, value })
    }
  } catch (error) {
    counts.networkErrors++
    if (firstUnexpected.length < 10) firstUnexpected.push({ method, path, error: String(error) })
  }
}

async function sample (): Promise<void> {
  const metrics = await (await fetch(`${serviceUrl}/metrics`)).text()
  const gauge = (name: string): number => Number(new RegExp(`^${name} ([0-9.e+]+)$`, 'm').exec(metrics)?.[1] ?? NaN)
  const stats = (await json(toSim, 'GET', '/__sim/stats')).value as { openConnections: number }
  samples.push({
    at: Math.round(performance.now() / 1000),
    heapUsedMb: Math.round(gauge('nodejs_heap_size_used_bytes') / 1e5) / 10,
    rssMb: Math.round(gauge('process_resident_memory_bytes') / 1e5) / 10,
    upstreamSockets: stats.openConnections
  })
}

const deadline = Date.now() + seconds * 1000
const sampler = (async () => {
  while (Date.now() < deadline) {
    await sample()
    await sleep(10_000)
  }
})()
await Promise.all(Array.from({ length: workers }, async () => {
  while (Date.now() < deadline) {
    const order = (await json(toSim, 'POST', '/__sim/fresh-order')).value as { Id: string, Items: Array<{ Images: Array<{ OrderItemId: number }> }> }
    const itemIds = order.Items.map((item) => item.Images[0]?.OrderItemId)
    await serviceCall('GET', `/orders/${order.Id}/items`)
    await serviceCall('POST', `/orders/${order.Id}/items/cancel`, { itemIds })
  }
}))
await sampler
await sample()

service.kill('SIGTERM')
await sleep(500)
sim.kill('SIGTERM')
await Promise.all([toService.close(), toSim.close()])

const unhandled = serviceLog.filter((line) => line.includes('"level":50') || line.includes('"level":60') || (!line.startsWith('{') && /Error|Unhandled/.test(line)))
const result: SoakResult = {
  machine: machine(),
  // `npm run soak` builds dist/ from the working tree just before.
  build: workingTreeSource(),
  seconds,
  workers,
  faultRate: FAULT_RATE,
  faultKinds: FAULTS.map(describeFault),
  counts,
  unhandledErrorLines: unhandled.length,
  firstUnexpected,
  samples
}
const report = renderSoak(result)
const written = writeRun('soak', result, report, isStandardRun(['SOAK_SECONDS', 'SOAK_WORKERS']) ? 'soak.md' : undefined)
process.stdout.write(`${report}\nwrote ${written.join(', ')}\n`)
const failed = counts.unexpected5xx > 0 || counts.networkErrors > 0 || unhandled.length > 0
process.exitCode = failed ? 1 : 0
