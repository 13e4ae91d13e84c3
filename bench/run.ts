// `npm run bench`: the service against the simulator called directly, scenario by scenario.
// BENCH_QUICK=1: a 1–2 minute smoke run. BENCH_PROFILE=1: profile the service during the full
// cancel flow instead (see bench/README.md). Writes bench/results/raw/<BENCH_OUT or bench>.{json,md};
// a run of the standard plan also writes the committed summary, bench/results/bench.md.
import { readdirSync, statSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { runLoad, type RunStats } from './lib/load.js'
import { core, countLogLevels, foreignLoad, peakRssMb, pinSelf, type Managed } from './lib/procs.js'
import { createPool, MAX_POOL, resetSimulator, SCENARIOS, upstreamCounts, type Scenario } from './lib/scenarios.js'
import { isStandardRun, machine, RAW, ROOT, writeRun } from './lib/record.js'
import { buildService, PLACEMENT, serviceSettings, startService, startSimulator } from './lib/setup.js'
import { renderMarkdown, evaluateTargets, type BenchResults, type Measured, type ScenarioResults } from './lib/report.js'
import { summariseProfile } from './profile-summary.js'

const quick = process.env.BENCH_QUICK === '1'
const profile = process.env.BENCH_PROFILE === '1'
const only = process.env.BENCH_SCENARIOS?.split(',').filter(Boolean)
const out = process.env.BENCH_OUT ?? (profile ? (only?.[0] === undefined ? 'profile' : `profile-${only[0]}`) : 'bench')
// Anything that changes what is measured makes a one-off run, kept under raw/ only.
const standard = !profile && isStandardRun([
  'BENCH_OUT', 'BENCH_DIST', 'BENCH_SCENARIOS', 'BENCH_CONCURRENCY', 'BENCH_RATES', 'BENCH_SATURATION_S',
  'BENCH_FIXED_S', 'BENCH_WARMUP_S', 'BENCH_REPEATS', 'BENCH_SERVICE_NODE_OPTIONS', 'BENCH_LOG_LEVEL'
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
const SIM_PORT = Number(process.env.BENCH_SIM_PORT ?? 47310)
const SERVICE_PORT = Number(process.env.BENCH_PORT ?? 47300)

const log = (line: string): void => { process.stderr.write(`bench: ${line}\n`) }

const build = buildService()
const settings = serviceSettings()
const simulator = await startSimulator(build.dist, SIM_PORT)
let service: { proc: Managed, url: string } | undefined

async function stopAll (): Promise<void> {
  await service?.proc.stop()
  await simulator.proc.stop()
}
process.once('SIGINT', () => { stopAll().finally(() => process.exit(130)) })

/** Highest flows/s seen so far, per scenario and side: sizes the next pool of one-use orders. */
const bestRate = new Map<string, number>()

async function measure (scenario: Scenario, side: 'service' | 'direct', connections: number, seconds: number, rate?: number): Promise<Measured> {
  const svc = service as { proc: Managed, url: string }
  // The load generator never shares a core with the process whose limit is being measured.
  pinSelf(side === 'service' ? core(1) : core(0))
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
  svc.proc.truncateLog()
  const stats: RunStats = await runLoad({
    url: side === 'service' ? svc.url : simulator.url,
    steps: side === 'service' ? scenario.service(pool) : scenario.direct(pool),
    connections,
    seconds,
    ...(rate === undefined ? {} : { rate }),
    ...(flows === undefined ? {} : { flows }),
    ...(side === 'service' ? { servicePid: svc.proc.pid } : {}),
    simulatorPid: simulator.proc.pid
  })
  // Let aborted in-flight work finish before counting what reached the simulator.
  await sleep(100)
  const upstream = await upstreamCounts(simulator.url)
  const logLines = side === 'service' ? countLogLevels(svc.proc.logFile) : { warn: 0, error: 0 }
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
    (m.cpu.serviceUsPerFlow === null ? '' : ` cpu ${m.cpu.serviceUsPerFlow} µs/req`) +
    (m.serviceRssMaxMb === null ? '' : ` rss ${m.serviceRssMaxMb} MB`) +
    ` cores ${m.cpu.coreBusy.join('/')}${bad === 0 ? '' : ` PROBLEMS ${bad}`}`
}

/** Busy cores of other processes above which a pair of runs is repeated (BENCH_MAX_OTHER, BENCH_RETRIES). */
const MAX_OTHER = number('BENCH_MAX_OTHER') ?? 0.3
const RETRIES = number('BENCH_RETRIES') ?? 2

/** A direct run and a service run side by side; repeated while other work on the machine disturbs them, keeping the calmest. */
async function pair (label: string, run: () => Promise<{ service: Measured, direct: Measured }>): Promise<{ service: Measured, direct: Measured }> {
  let best: { service: Measured, direct: Measured } | undefined
  let bestOther = Infinity
  for (let attempt = 0; attempt <= RETRIES; attempt++) {
    const result = await run()
    const other = Math.max(result.service.cpu.other, result.direct.cpu.other)
    log(`${label}: service ${brief(result.service)} | direct ${brief(result.direct)}${other > MAX_OTHER ? ` | other load ${other} cores` : ''}`)
    if (other < bestOther) {
      best = result
      bestOther = other
    }
    if (other <= MAX_OTHER) break
    if (attempt < RETRIES) log(`${label}: other processes were busy; again`)
  }
  return best as { service: Measured, direct: Measured }
}

async function runScenario (scenario: Scenario): Promise<ScenarioResults> {
  service = await startService(build.dist, SERVICE_PORT, simulator.url, settings)
  log(`${scenario.title}: warm-up`)
  // The first seconds of a fresh service cost up to 40% more CPU per request (JIT, heap sizing):
  // warm it at two concurrencies before measuring anything.
  await measure(scenario, 'direct', 10, PLAN.warmupS)
  await measure(scenario, 'service', 10, PLAN.warmupS)
  await measure(scenario, 'service', 50, PLAN.warmupS)

  const saturation: ScenarioResults['saturation'] = []
  for (const connections of PLAN.concurrency) {
    const { service: svc, direct } = await pair(`${scenario.id} -c ${connections}`, async () => ({
      direct: await measure(scenario, 'direct', connections, PLAN.saturationS),
      service: await measure(scenario, 'service', connections, PLAN.saturationS)
    }))
    saturation.push({ connections, service: svc, direct, ratio: direct.rps === 0 ? 0 : Math.round((svc.rps / direct.rps) * 1000) / 1000 })
  }

  const fixedRate: ScenarioResults['fixedRate'] = []
  for (const rate of PLAN.rates) {
    const connections = Math.max(1, Math.ceil(rate / FLOWS_PER_CONNECTION_PER_SECOND))
    const runs: Array<{ service: Measured, direct: Measured }> = []
    for (let i = 0; i < PLAN.repeats; i++) {
      runs.push(await pair(`${scenario.id} @${rate}/s #${i + 1}`, async () => ({
        direct: await measure(scenario, 'direct', connections, PLAN.fixedS, rate),
        service: await measure(scenario, 'service', connections, PLAN.fixedS, rate)
      })))
    }
    fixedRate.push({ rate, connections, runs })
  }

  const peak = peakRssMb(service.proc.pid)
  await service.proc.stop()
  service = undefined
  return {
    id: scenario.id,
    title: scenario.title,
    upstream: scenario.upstream,
    baseline: scenario.baseline,
    saturation,
    fixedRate,
    servicePeakRssMb: Math.round(peak * 10) / 10
  }
}

/** The service under --cpu-prof during one scenario (the full cancel flow unless BENCH_SCENARIOS names another) at 50 connections. */
async function runProfile (): Promise<void> {
  const id = only?.[0] ?? 'cancel'
  const scenario = SCENARIOS.find((s) => s.id === id)
  if (scenario === undefined) throw new Error(`no scenario ${id}`)
  const dir = `${RAW}profiles/`
  const startedAt = Date.now()
  service = await startService(build.dist, SERVICE_PORT, simulator.url, settings, ['--cpu-prof', `--cpu-prof-dir=${dir}`])
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
      plan: { ...PLAN, flowsPerConnectionPerSecondAtFixedRate: FLOWS_PER_CONNECTION_PER_SECOND },
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
}
