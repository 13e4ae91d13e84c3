// `npm run bench`: the service against the simulator called directly and against the bare-proxy
// floor (bench/bare-proxy.ts), scenario by scenario. BENCH_QUICK=1: a few minutes' smoke run.
// BENCH_PROFILE=1: profile the service during the full cancel flow instead (see bench/README.md).
// Writes bench/results/raw/<BENCH_OUT or bench>.{json,md}; a run of the standard plan also writes
// the committed summary, bench/results/bench.md.
import { readdirSync, statSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { runLoad, type RunStats } from './lib/load.js'
import { core, countLogLines, foreignLoad, peakRssMb, pinSelf, type Managed } from './lib/procs.js'
import { createPool, MAX_POOL, resetSimulator, SCENARIOS, upstreamCounts, type Scenario } from './lib/scenarios.js'
import { isStandardRun, machine, RAW, ROOT, writeRun } from './lib/record.js'
import { buildFloor, buildService, PLACEMENT, serviceSettings, startFloor, startService, startSimulator, startTraceSink } from './lib/setup.js'
import { renderMarkdown, evaluateTargets, type BenchResults, type Measured, type ScenarioResults, type Sides } from './lib/report.js'
import { summariseProfile } from './profile-summary.js'

const quick = process.env.BENCH_QUICK === '1'
const profile = process.env.BENCH_PROFILE === '1'
const tracing = process.env.BENCH_TRACING === '1'
const only = process.env.BENCH_SCENARIOS?.split(',').filter(Boolean)
const out = process.env.BENCH_OUT ?? (profile ? (only?.[0] === undefined ? 'profile' : `profile-${only[0]}`) : 'bench')
// Anything that changes what is measured makes a one-off run, kept under raw/ only.
const standard = !profile && isStandardRun([
  'BENCH_OUT', 'BENCH_DIST', 'BENCH_SCENARIOS', 'BENCH_CONCURRENCY', 'BENCH_RATES', 'BENCH_SATURATION_S',
  'BENCH_FIXED_S', 'BENCH_WARMUP_S', 'BENCH_REPEATS', 'BENCH_SERVICE_NODE_OPTIONS', 'BENCH_LOG_LEVEL', 'BENCH_TRACING'
])

const numbers = (name: string): number[] | undefined => process.env[name]?.split(',').filter(Boolean).map(Number)
const number = (name: string): number | undefined => process.env[name] === undefined ? undefined : Number(process.env[name])
const DEFAULT_PLAN = quick
  ? { warmupS: 1, saturationS: 1, fixedS: 2, repeats: 1, concurrency: [1, 10, 50, 100], rates: [200, 1000] }
  : { warmupS: 4, saturationS: 5, fixedS: 5, repeats: 3, concurrency: [1, 10, 50, 100], rates: [200, 1000] }
// Overrides for focused comparisons, e.g. BENCH_CONCURRENCY=50 BENCH_RATES= BENCH_SATURATION_S=10.
const PLAN = {
  warmupS: number('BENCH_WARMUP_S') ?? DEFAULT_PLAN.warmupS,
  saturationS: number('BENCH_SATURATION_S') ?? DEFAULT_PLAN.saturationS,
  fixedS: number('BENCH_FIXED_S') ?? DEFAULT_PLAN.fixedS,
  repeats: number('BENCH_REPEATS') ?? DEFAULT_PLAN.repeats,
  concurrency: numbers('BENCH_CONCURRENCY') ?? DEFAULT_PLAN.concurrency,
  rates: numbers('BENCH_RATES') ?? DEFAULT_PLAN.rates
}
/** Flows per connection at a fixed rate: autocannon sends each connection's share of a second back to back. */
const FLOWS_PER_CONNECTION_PER_SECOND = 100
/** Fixed rates at which the floor runs too (the latency target's); it runs at every -c of the sweep. */
const FLOOR_RATES = [200]
const SIM_PORT = Number(process.env.BENCH_SIM_PORT ?? 47310)
const SERVICE_PORT = Number(process.env.BENCH_PORT ?? 47300)
const FLOOR_PORT = Number(process.env.BENCH_FLOOR_PORT ?? 47320)
const COLLECTOR_PORT = Number(process.env.BENCH_COLLECTOR_PORT ?? 47330)

const log = (line: string): void => { process.stderr.write(`bench: ${line}\n`) }

const build = buildService()
const floorScript = buildFloor()
// Tracing on: spans exported over OTLP/HTTP to a receiver that drops them; every request is
// sampled unless OTEL_TRACES_SAMPLER says otherwise.
const traceSink = tracing ? await startTraceSink(COLLECTOR_PORT, 'gooten cancelItems') : undefined
const settings = serviceSettings(traceSink?.url)
const simulator = await startSimulator(build.dist, SIM_PORT)
let service: { proc: Managed, url: string } | undefined
let floor: { proc: Managed, url: string } | undefined

async function stopAll (): Promise<void> {
  await service?.proc.stop()
  await floor?.proc.stop()
  await simulator.proc.stop()
  await traceSink?.close()
}
process.once('SIGINT', () => { stopAll().finally(() => process.exit(130)) })

/** Cancel calls the simulator received from the service, warm-ups included: what the exported cancel spans are set beside. */
let serviceCancelCalls = 0

/** Highest flows/s seen so far, per scenario and side: sizes the next pool of one-use orders. */
const bestRate = new Map<string, number>()

/** Where a run's load goes: the service, the bare-proxy floor (the same requests), or the simulator directly. */
type Side = 'service' | 'floor' | 'direct'

async function measure (scenario: Scenario, side: Side, connections: number, seconds: number, rate?: number): Promise<Measured> {
  const proxy = side === 'direct' ? undefined : side === 'service' ? service : floor
  if (side !== 'direct' && proxy === undefined) throw new Error(`no ${side} process running`)
  // The load generator never shares a core with the process whose limit is being measured.
  pinSelf(side === 'direct' ? core(0) : core(1))
  let pool
  let flows: number | undefined
  if (scenario.pooled) {
    const key = `${scenario.id}:${side}`
    const wanted = rate === undefined
      ? Math.ceil((bestRate.get(key) ?? 2000) * seconds * 1.6)
      : rate * (Math.ceil(seconds) + 1) + connections
    const count = Math.max(connections * 2, Math.min(MAX_POOL, wanted))
    // A run at full speed stops when its pool is used up, each connection having made whole flows.
    if (rate === undefined) flows = Math.floor(count / connections) * connections
    pool = await createPool(simulator.url, count)
  } else {
    await resetSimulator(simulator.url)
  }
  service?.proc.truncateLog()
  const stats: RunStats = await runLoad({
    url: proxy?.url ?? simulator.url,
    steps: side === 'direct' ? scenario.direct(pool) : scenario.service(pool),
    connections,
    seconds,
    ...(rate === undefined ? {} : { rate }),
    ...(flows === undefined ? {} : { flows }),
    ...(proxy === undefined ? {} : { proxyPid: proxy.proc.pid }),
    simulatorPid: simulator.proc.pid
  })
  // Let aborted in-flight work finish (and the service's log lines reach the file) before counting.
  await sleep(100)
  const upstream = await upstreamCounts(simulator.url)
  if (side === 'service') serviceCancelCalls += upstream.cancelItems
  const logLines = side === 'service' && service !== undefined ? countLogLines(service.proc.logFile) : { warn: 0, error: 0, lines: {}, requests: 0 }
  if (rate === undefined) {
    const key = `${scenario.id}:${side}`
    bestRate.set(key, Math.max(bestRate.get(key) ?? 0, stats.rps))
  }
  const perFlow = (n: number): number => stats.goodFlows === 0 ? 0 : Math.round((n / stats.goodFlows) * 1000) / 1000
  return {
    ...stats,
    upstream: { ...upstream, getOrderPerFlow: perFlow(upstream.getOrder), cancelItemsPerFlow: perFlow(upstream.cancelItems) },
    poolOverdrawn: pool?.overdrawn ?? 0,
    log: logLines
  }
}

function brief (m: Measured): string {
  const bad = m.errors + m.unexpectedNon2xx + m.mismatches
  return `${String(m.rps).padStart(6)}/s p50 ${m.latency.p50.toFixed(2)} p99 ${m.latency.p99.toFixed(2)} ms` +
    (m.cpu.proxyUsPerFlow === null ? '' : ` cpu ${m.cpu.proxyUsPerFlow} µs/req`) +
    (m.proxyRssMaxMb === null ? '' : ` rss ${m.proxyRssMaxMb} MB`) +
    ` cores ${m.cpu.coreBusy.join('/')}${bad === 0 ? '' : ` PROBLEMS ${bad}`}`
}

/** Busy cores of other processes above which a pair of runs is repeated (BENCH_MAX_OTHER, BENCH_RETRIES). */
const MAX_OTHER = number('BENCH_MAX_OTHER') ?? 0.3
const RETRIES = number('BENCH_RETRIES') ?? 2

/**
 * The runs at one -c or rate (direct, service, and the floor where asked), back to back; repeated
 * while other work on the machine disturbs any of them, keeping the calmest attempt.
 */
async function pair (label: string, run: () => Promise<Sides>): Promise<Sides> {
  let best: Sides | undefined
  let bestOther = Infinity
  for (let attempt = 0; attempt <= RETRIES; attempt++) {
    const result = await run()
    const other = Math.max(result.service.cpu.other, result.direct.cpu.other, result.floor?.cpu.other ?? 0)
    log(`${label}: service ${brief(result.service)}${result.floor === undefined ? '' : ` | floor ${brief(result.floor)}`} | direct ${brief(result.direct)}${other > MAX_OTHER ? ` | other load ${other} cores` : ''}`)
    if (other < bestOther) {
      best = result
      bestOther = other
    }
    if (other <= MAX_OTHER) break
    if (attempt < RETRIES) log(`${label}: other processes were busy; again`)
  }
  return best as Sides
}

/** Direct, service and (when `withFloor`) floor runs of the same load, in that order. */
async function sides (scenario: Scenario, connections: number, seconds: number, rate: number | undefined, withFloor: boolean): Promise<Sides> {
  const direct = await measure(scenario, 'direct', connections, seconds, rate)
  const svc = await measure(scenario, 'service', connections, seconds, rate)
  return withFloor ? { direct, service: svc, floor: await measure(scenario, 'floor', connections, seconds, rate) } : { direct, service: svc }
}

async function runScenario (scenario: Scenario): Promise<ScenarioResults> {
  service = await startService(build.dist, SERVICE_PORT, simulator.url, settings)
  floor = await startFloor(floorScript, FLOOR_PORT, simulator.url, settings)
  log(`${scenario.title}: warm-up`)
  // The first seconds of a fresh process cost up to 40% more CPU per request (JIT, heap sizing):
  // warm the service and the floor alike, at two concurrencies, before measuring anything.
  await measure(scenario, 'direct', 10, PLAN.warmupS)
  for (const side of ['service', 'floor'] as const) {
    await measure(scenario, side, 10, PLAN.warmupS)
    await measure(scenario, side, 50, PLAN.warmupS)
  }

  const saturation: ScenarioResults['saturation'] = []
  for (const connections of PLAN.concurrency) {
    const runs = await pair(`${scenario.id} -c ${connections}`, async () => await sides(scenario, connections, PLAN.saturationS, undefined, true))
    saturation.push({ connections, ...runs, ratio: runs.direct.rps === 0 ? 0 : Math.round((runs.service.rps / runs.direct.rps) * 1000) / 1000 })
  }

  const fixedRate: ScenarioResults['fixedRate'] = []
  for (const rate of PLAN.rates) {
    const connections = Math.max(1, Math.ceil(rate / FLOWS_PER_CONNECTION_PER_SECOND))
    const runs: Sides[] = []
    for (let i = 0; i < PLAN.repeats; i++) {
      runs.push(await pair(`${scenario.id} @${rate}/s #${i + 1}`, async () => await sides(scenario, connections, PLAN.fixedS, rate, FLOOR_RATES.includes(rate))))
    }
    fixedRate.push({ rate, connections, runs })
  }

  const servicePeak = peakRssMb(service.proc.pid)
  const floorPeak = peakRssMb(floor.proc.pid)
  await service.proc.stop()
  await floor.proc.stop()
  service = undefined
  floor = undefined
  return {
    id: scenario.id,
    title: scenario.title,
    upstream: scenario.upstream,
    baseline: scenario.baseline,
    saturation,
    fixedRate,
    servicePeakRssMb: Math.round(servicePeak * 10) / 10,
    floorPeakRssMb: Math.round(floorPeak * 10) / 10
  }
}

/** The service under --cpu-prof during one scenario (the full cancel flow unless BENCH_SCENARIOS names another) at 50 connections. */
async function runProfile (): Promise<void> {
  const id = only?.[0] ?? 'cancel'
  const scenario = SCENARIOS.find((s) => s.id === id)
  if (scenario === undefined) throw new Error(`no scenario ${id}`)
  const dir = `${RAW}profiles/`
  const startedAt = Date.now()
  service = await startService(build.dist, SERVICE_PORT, simulator.url, settings, [...settings.nodeFlags, '--cpu-prof', `--cpu-prof-dir=${dir}`])
  await measure(scenario, 'service', 10, PLAN.warmupS)
  const runs: Measured[] = []
  for (let i = 0; i < (quick ? 1 : 3); i++) {
    const run = await measure(scenario, 'service', 50, quick ? 2 : 5)
    log(`profiled ${scenario.id} -c 50 #${i + 1}: ${brief(run)}`)
    runs.push(run)
  }
  await service.proc.stop()
  service = undefined
  const file = readdirSync(dir)
    .filter((name) => name.endsWith('.cpuprofile'))
    .map((name) => `${dir}${name}`)
    .filter((path) => statSync(path).mtimeMs >= startedAt)
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0]
  if (file === undefined) throw new Error(`the service wrote no .cpuprofile into ${dir}`)
  const summary = summariseProfile(file, build.dist)
  const header = `# CPU profile of the service: ${scenario.title}, 50 connections\n\n` +
    `${new Date().toISOString()}, ${build.source}, Node ${process.version}. Profile: \`${file.slice(ROOT.length)}\`.\n` +
    `Runs while profiled: ${runs.map((r) => `${r.rps} req/s`).join(', ')} (profiling slows the service).\n\n`
  log(`wrote ${writeRun(out, { file: file.slice(ROOT.length), runs, ...summary.data }, header + summary.markdown).join(', ')}`)
}

try {
  const other = await foreignLoad([simulator.proc.pid])
  if (other > 0.25) log(`warning: other processes keep ${other.toFixed(2)} cores busy; figures will be noisy`)
  if (profile) {
    await runProfile()
  } else {
    const started = Date.now()
    const scenarios: ScenarioResults[] = []
    for (const scenario of SCENARIOS.filter((s) => only === undefined || only.includes(s.id))) {
      scenarios.push(await runScenario(scenario))
    }
    const results: BenchResults = {
      machine: machine(),
      build: build.source,
      mode: quick ? 'quick' : 'full',
      plan: { ...PLAN, floorRates: FLOOR_RATES, flowsPerConnectionPerSecondAtFixedRate: FLOWS_PER_CONNECTION_PER_SECOND, retries: RETRIES, maxOtherCores: MAX_OTHER },
      placement: PLACEMENT,
      service: settings,
      otherLoadAtStartCores: Math.round(other * 100) / 100,
      elapsedSeconds: Math.round((Date.now() - started) / 1000),
      scenarios,
      targets: []
    }
    results.targets = evaluateTargets(results)
    const written = writeRun(out, results, renderMarkdown(results), standard ? 'bench.md' : undefined)
    log(`wrote ${written.join(', ')} in ${results.elapsedSeconds} s${standard ? '' : ' (a one-off run: the committed summary is unchanged)'}`)
    for (const target of results.targets) log(`${target.met ? 'MET    ' : 'NOT MET'} ${target.name}: ${target.measured}`)
  }
} finally {
  await stopAll()
  // After the service's shutdown, which flushes what it still buffered.
  if (traceSink !== undefined) {
    const { exports, bytes, marked } = traceSink.received()
    log(`the span receiver got ${exports} OTLP exports, ${bytes} bytes, ${marked} cancelItems spans for ${serviceCancelCalls} cancel calls to the simulator`)
  }
}
