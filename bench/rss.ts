// `npm run bench:rss`: a steady, moderate load on the service for 5 minutes (BENCH_RSS_SECONDS),
// sampling its RSS and heap every 5 s to show whether memory grows. BENCH_QUICK=1: 40 s.
// The load is open-loop (requests go out on a 10 ms clock whatever the answers' pace): 40% full
// cancels of a fresh order, 30% item lists, 15% invalid bodies, 15% ITEMS_NOT_CANCELLABLE.
// Writes bench/results/raw/<BENCH_OUT or rss>.{json,md}; a run of the standard plan also writes
// the committed summary, bench/results/rss.md.
import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import { Pool } from 'undici'
import { SEED } from '../src/simulator/seed.js'
import { percentile } from './lib/load.js'
import { core, cpuMs, foreignLoad, peakRssMb, pinning, pinSelf, rssMb } from './lib/procs.js'
import { isStandardRun, machine, writeRun } from './lib/record.js'
import { buildService, PLACEMENT, serviceSettings, startService, startSimulator } from './lib/setup.js'

const quick = process.env.BENCH_QUICK === '1'
const seconds = Number(process.env.BENCH_RSS_SECONDS ?? (quick ? 40 : 300))
const rate = Number(process.env.BENCH_RSS_RATE ?? 300)
const sampleEveryS = quick ? 2 : 5
const warmupS = Math.min(30, Math.round(seconds / 5))
const MAX_OUTSTANDING = 256
const out = process.env.BENCH_OUT ?? 'rss'
const standard = isStandardRun(['BENCH_OUT', 'BENCH_DIST', 'BENCH_RSS_SECONDS', 'BENCH_RSS_RATE', 'BENCH_SERVICE_NODE_OPTIONS', 'BENCH_LOG_LEVEL'])

const log = (line: string): void => { process.stderr.write(`bench:rss: ${line}\n`) }

interface Sample { t: number, rssMb: number, heapUsedMb: number, heapTotalMb: number, answered: number }

const build = buildService()
const settings = serviceSettings()
const simulator = await startSimulator(build.dist, 47410)
const service = await startService(build.dist, 47400, simulator.url, settings)
pinSelf(core(1))
const toService = new Pool(service.url, { connections: 64 })
const toSimulator = new Pool(simulator.url, { connections: 8 })
const JSON_HEADERS = { 'content-type': 'application/json' }
const { demo, mixed } = SEED

const statuses: Record<string, number> = {}
let errors = 0
let unexpected = 0
let answered = 0
let skipped = 0
let outstanding = 0
const latencies: number[] = []

async function call (path: string, method: 'GET' | 'POST', body: string | undefined, expected: number): Promise<void> {
  const started = performance.now()
  const response = await toService.request({ path, method, ...(body === undefined ? {} : { body, headers: JSON_HEADERS }) })
  await response.body.dump()
  latencies.push(performance.now() - started)
  statuses[response.statusCode] = (statuses[response.statusCode] ?? 0) + 1
  if (response.statusCode !== expected) unexpected++
  answered++
}

async function cancelFresh (): Promise<void> {
  const response = await toSimulator.request({ method: 'GET', path: '/__sim/fresh-order' })
  const doc = await response.body.json() as { Id: string, Items: Array<{ Images: Array<{ OrderItemId: number }> }> }
  const ids = doc.Items.map((item) => item.Images[0]?.OrderItemId)
  await call(`/orders/${doc.Id}/items/cancel`, 'POST', JSON.stringify({ itemIds: ids }), 200)
}

function operation (n: number): Promise<void> {
  const slot = n % 20
  if (slot < 8) return cancelFresh()
  if (slot < 14) return call(`/orders/${demo.safeId}/items`, 'GET', undefined, 200)
  if (slot < 17) return call(`/orders/${demo.safeId}/items/cancel`, 'POST', '{"itemIds":"nope"}', 400)
  return call(`/orders/${mixed.safeId}/items/cancel`, 'POST', `{"itemIds":[${mixed.items.shipped}]}`, 409)
}

async function heap (): Promise<{ used: number, total: number }> {
  const text = await (await fetch(`${service.url}/metrics`)).text()
  const gauge = (name: string): number => Number(new RegExp(`^${name} (\\S+)`, 'm').exec(text)?.[1] ?? 0) / 2 ** 20
  return { used: gauge('nodejs_heap_size_used_bytes'), total: gauge('nodejs_heap_size_total_bytes') }
}

const round = (n: number): number => Math.round(n * 10) / 10
const mean = (values: number[]): number => values.reduce((a, b) => a + b, 0) / Math.max(1, values.length)

try {
  const other = await foreignLoad([simulator.proc.pid, service.proc.pid])
  log(`${seconds} s at ${rate} req/s, sampling every ${sampleEveryS} s (other load ${other.toFixed(2)} cores)`)
  const samples: Sample[] = []
  const cpu0 = cpuMs(service.proc.pid)
  const started = performance.now()
  let sent = 0
  let nextSample = 0
  const ticks = Math.round(seconds * 100)
  for (let tick = 0; tick < ticks; tick++) {
    const elapsedS = (performance.now() - started) / 1000
    if (elapsedS >= nextSample) {
      const h = await heap()
      samples.push({ t: Math.round(elapsedS), rssMb: round(rssMb(service.proc.pid)), heapUsedMb: round(h.used), heapTotalMb: round(h.total), answered })
      nextSample += sampleEveryS
    }
    const due = Math.floor(((tick + 1) * rate) / 100) - sent
    for (let i = 0; i < due; i++) {
      sent++
      if (outstanding >= MAX_OUTSTANDING) {
        skipped++
        continue
      }
      outstanding++
      operation(sent).catch(() => { errors++ }).finally(() => { outstanding-- })
    }
    // Keep to the 10 ms clock even when a tick ran late.
    const wait = started + (tick + 1) * 10 - performance.now()
    if (wait > 0) await sleep(wait)
  }
  // Let the last answers arrive (bounded: 15 s).
  for (let i = 0; i < 300; i++) {
    if (outstanding === 0) break
    await sleep(50)
  }
  const wallS = (performance.now() - started) / 1000
  const h = await heap()
  samples.push({ t: Math.round(wallS), rssMb: round(rssMb(service.proc.pid)), heapUsedMb: round(h.used), heapTotalMb: round(h.total), answered })
  const serviceCpuMs = cpuMs(service.proc.pid) - cpu0

  const steady = samples.filter((s) => s.t >= warmupS)
  // A minute of samples, or a third of the steady part of a shorter run.
  const window = Math.max(1, Math.min(Math.round(60 / sampleEveryS), Math.floor(steady.length / 3)))
  const firstMinute = steady.slice(0, window)
  const lastMinute = steady.slice(-window)
  const growthMb = round(mean(lastMinute.map((s) => s.rssMb)) - mean(firstMinute.map((s) => s.rssMb)))
  const heapGrowthMb = round(mean(lastMinute.map((s) => s.heapUsedMb)) - mean(firstMinute.map((s) => s.heapUsedMb)))
  const sorted = Float64Array.from(latencies).sort()
  const summary = {
    machine: machine(),
    build: build.source,
    placement: pinning ? 'service core 0, simulator core 1, load generator (bench process) core 1' : PLACEMENT,
    service: settings,
    otherLoadAtStartCores: round(other),
    seconds,
    rate,
    mix: '40% full cancel of a fresh order, 30% GET items, 15% invalid body, 15% ITEMS_NOT_CANCELLABLE',
    sent,
    answered,
    skipped,
    errors,
    unexpected,
    statuses,
    latencyMs: { p50: round(percentile(sorted, 50)), p99: round(percentile(sorted, 99)) },
    serviceCpuUsPerRequest: answered === 0 ? null : Math.round((serviceCpuMs * 1000) / answered),
    rssMb: {
      first: samples[0]?.rssMb,
      firstSteady: steady[0]?.rssMb,
      last: samples[samples.length - 1]?.rssMb,
      max: Math.max(...samples.map((s) => s.rssMb)),
      peakVmHWM: round(peakRssMb(service.proc.pid)),
      growthLastMinuteOverFirstSteadyMinute: growthMb
    },
    heapUsedMb: {
      first: samples[0]?.heapUsedMb,
      last: samples[samples.length - 1]?.heapUsedMb,
      max: Math.max(...samples.map((s) => s.heapUsedMb)),
      growthLastMinuteOverFirstSteadyMinute: heapGrowthMb
    },
    // Growth under 5 MB between the first steady minute and the last one counts as none.
    noGrowth: growthMb <= 5,
    samples
  }
  const md = [
    '# Steady-load memory run', '',
    `- **Date:** ${summary.machine.date}; ${summary.machine.cpuModel}, ${summary.machine.cores} cores; Node ${summary.machine.node}, Fastify ${summary.machine.fastify}, undici ${summary.machine.undici}`,
    `- **Service build:** ${build.source}; LOG_LEVEL=${settings.logLevel} to a file; node flags of \`npm start\`: ${settings.nodeFlags.join(' ') || 'none'}`,
    `- **Placement:** ${pinning ? 'service on core 0, simulator on core 1 (taskset); the load generator (undici, in the bench process) on core 1' : PLACEMENT}`,
    `- **Load:** ${rate} req/s open-loop for ${seconds} s (${summary.mix}); ${sent} sent, ${answered} answered, ${skipped} skipped (over ${MAX_OUTSTANDING} outstanding), ${errors} errors, ${unexpected} unexpected statuses; p50 ${summary.latencyMs.p50} ms, p99 ${summary.latencyMs.p99} ms; service CPU ${summary.serviceCpuUsPerRequest} µs/request`,
    '',
    '| | first | first steady (t ≥ ' + String(warmupS) + ' s) | last | max | growth, last minute over first steady minute (or thirds of a shorter run) |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
    `| RSS MB | ${summary.rssMb.first} | ${summary.rssMb.firstSteady} | ${summary.rssMb.last} | ${summary.rssMb.max} | ${growthMb} |`,
    `| heap used MB | ${summary.heapUsedMb.first} | ${steady[0]?.heapUsedMb} | ${summary.heapUsedMb.last} | ${summary.heapUsedMb.max} | ${heapGrowthMb} |`,
    '',
    `Verdict: ${summary.noGrowth ? 'no growth' : '**RSS grew**'} (criterion: under 5 MB between the first steady minute and the last). Lifetime peak RSS (VmHWM): ${summary.rssMb.peakVmHWM} MB.`,
    '',
    '| t s | RSS MB | heap used MB | heap total MB | answered |', '| ---: | ---: | ---: | ---: | ---: |',
    ...samples.map((s) => `| ${s.t} | ${s.rssMb} | ${s.heapUsedMb} | ${s.heapTotalMb} | ${s.answered} |`),
    ''
  ].join('\n')
  const written = writeRun(out, summary, md, standard ? 'rss.md' : undefined)
  log(`RSS first ${summary.rssMb.first} / last ${summary.rssMb.last} / max ${summary.rssMb.max} MB, growth ${growthMb} MB; ${errors} errors, ${unexpected} unexpected; wrote ${written.join(', ')}`)
} finally {
  await toService.close()
  await toSimulator.close()
  await service.proc.stop()
  await simulator.proc.stop()
}
