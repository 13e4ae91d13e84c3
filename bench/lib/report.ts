// The service's performance targets, checked against a benchmark run, and the run's markdown
// report. The service is measured beside the simulator called directly (the ceiling) and beside
// the bare-proxy floor (bench/bare-proxy.ts: the same upstream work and nothing else).
import type { RunStats } from './load.js'
import type { LogCounts } from './procs.js'
import type { Machine } from './record.js'
import type { ServiceSettings } from './setup.js'

export interface Measured extends RunStats {
  /** Gooten calls the simulator received during the run, and per flow answered as expected. */
  upstream: { getOrder: number, cancelItems: number, getOrderPerFlow: number, cancelItemsPerFlow: number }
  poolOverdrawn: number
  /** The service's log lines during the run (none counted for direct and floor runs). */
  log: LogCounts
}

/** The same load against each side, measured back to back; the floor only where the plan asks for it. */
export interface Sides {
  service: Measured
  direct: Measured
  floor?: Measured
}

export interface ScenarioResults {
  id: string
  title: string
  upstream: string
  baseline: string
  saturation: Array<Sides & { connections: number, ratio: number }>
  fixedRate: Array<{ rate: number, connections: number, runs: Sides[] }>
  servicePeakRssMb: number
  floorPeakRssMb: number
}

export interface Target {
  name: string
  measured: string
  met: boolean
}

export interface BenchResults {
  machine: Machine
  build: string
  mode: 'quick' | 'full'
  plan: Record<string, unknown>
  placement: string
  service: ServiceSettings
  otherLoadAtStartCores: number
  elapsedSeconds: number
  scenarios: ScenarioResults[]
  targets: Target[]
}

export function median (values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  if (sorted.length === 0) return 0
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[mid] as number : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2
}

const r2 = (n: number): number => Math.round(n * 100) / 100

const sidesOf = (sides: Sides): Measured[] => sides.floor === undefined ? [sides.service, sides.direct] : [sides.service, sides.direct, sides.floor]

/** Service CPU per request over the floor's, in one pair of runs; null when either is missing. */
export function cpuRatio (service: Measured, floor: Measured | undefined): number | null {
  const s = service.cpu.proxyUsPerFlow
  const f = floor?.cpu.proxyUsPerFlow ?? null
  return s === null || f === null || f === 0 ? null : r2(s / f)
}

/** The saturation entry at the -c that gave the service its highest throughput. */
export function serviceBest (scenario: ScenarioResults): ScenarioResults['saturation'][number] | undefined {
  return scenario.saturation.reduce<ScenarioResults['saturation'][number] | undefined>((best, x) => best === undefined || x.service.rps > best.service.rps ? x : best, undefined)
}

interface SideSummary { p50: number, p99: number, rps: number, cpuUs: number | null }

export interface FixedSummary {
  rate: number
  connections: number
  service: SideSummary
  direct: SideSummary
  floor: SideSummary | null
  addedP50: number
  addedP99: number
}

function sideSummary (runs: Measured[]): SideSummary {
  const cpu = runs.map((m) => m.cpu.proxyUsPerFlow).filter((v): v is number => v !== null)
  return {
    p50: r2(median(runs.map((m) => m.latency.p50))),
    p99: r2(median(runs.map((m) => m.latency.p99))),
    rps: Math.round(median(runs.map((m) => m.rps))),
    cpuUs: cpu.length === 0 ? null : Math.round(median(cpu))
  }
}

/** Medians over the repeated runs at one rate. */
export function fixedSummary (entry: ScenarioResults['fixedRate'][number]): FixedSummary {
  const s = sideSummary(entry.runs.map((run) => run.service))
  const d = sideSummary(entry.runs.map((run) => run.direct))
  const floors = entry.runs.flatMap((run) => run.floor === undefined ? [] : [run.floor])
  const f = floors.length === 0 ? null : sideSummary(floors)
  return { rate: entry.rate, connections: entry.connections, service: s, direct: d, floor: f, addedP50: r2(s.p50 - d.p50), addedP99: r2(s.p99 - d.p99) }
}

/**
 * Service log lines per request over every measured run of a scenario, by level and message. Per
 * request id seen in the log, so requests cut off at the end of a run count as what they are.
 */
export function logLinesPerRequest (scenario: ScenarioResults): { total: Record<string, number>, byMessage: Array<{ line: string, perRequest: number }> } {
  const runs = [...scenario.saturation.map((x) => x.service), ...scenario.fixedRate.flatMap((x) => x.runs.map((run) => run.service))]
  const flows = runs.reduce((n, m) => n + (m.log.requests > 0 ? m.log.requests : m.flows), 0)
  const lines: Record<string, number> = {}
  for (const run of runs) for (const [line, n] of Object.entries(run.log.lines)) lines[line] = (lines[line] ?? 0) + n
  const perRequest = (n: number): number => flows === 0 ? 0 : r2(n / flows)
  const total: Record<string, number> = {}
  for (const [line, n] of Object.entries(lines)) {
    const level = line.slice(0, line.indexOf(':'))
    total[level] = (total[level] ?? 0) + n
  }
  return {
    total: Object.fromEntries(Object.entries(total).map(([level, n]) => [level, perRequest(n)])),
    byMessage: Object.entries(lines).map(([line, n]) => ({ line, perRequest: perRequest(n) })).sort((a, b) => b.perRequest - a.perRequest)
  }
}

function allRuns (results: BenchResults): Measured[] {
  return results.scenarios.flatMap((s) => [
    ...s.saturation.flatMap(sidesOf),
    ...s.fixedRate.flatMap((x) => x.runs.flatMap(sidesOf))
  ])
}

/** The targets, in the order of the table they come from; a row only for what the run measured. */
export function evaluateTargets (results: BenchResults): Target[] {
  const targets: Target[] = []
  const scenario = (id: string): ScenarioResults | undefined => results.scenarios.find((s) => s.id === id)
  const cancel = scenario('cancel')
  const best = cancel === undefined ? undefined : serviceBest(cancel)
  const ratio = best === undefined ? null : cpuRatio(best.service, best.floor)
  if (best !== undefined && ratio !== null) {
    targets.push({
      name: 'Service CPU per full cancel ≤ 2× the bare-proxy floor\'s (saturation, at the -c of the service\'s best, same minutes)',
      measured: `${best.service.cpu.proxyUsPerFlow} vs ${best.floor?.cpu.proxyUsPerFlow} µs/req at -c ${best.connections} = ${ratio.toFixed(2)}×`,
      met: ratio <= 2
    })
  }
  if (cancel !== undefined && cancel.saturation.length > 0) {
    const svc = Math.max(...cancel.saturation.map((x) => x.service.rps))
    const dir = Math.max(...cancel.saturation.map((x) => x.direct.rps))
    const share = dir === 0 ? 0 : svc / dir
    targets.push({ name: 'Full cancel flow at saturation ≥ 40% of the direct two-call throughput (best of the -c sweep each)', measured: `${svc} req/s vs ${dir} flows/s = ${Math.round(share * 100)}%`, met: share >= 0.4 })
  }
  const invalid = scenario('invalid')
  if (invalid !== undefined && invalid.saturation.length > 0) {
    const top = Math.max(...invalid.saturation.map((x) => x.service.rps))
    targets.push({ name: 'Validation rejects ≥ 10k req/s with the service on one core', measured: `${top} req/s`, met: top >= 10_000 })
  }
  const at200 = cancel?.fixedRate.find((x) => x.rate === 200)
  if (at200 !== undefined) {
    const f = fixedSummary(at200)
    targets.push({ name: 'Added latency at 200 req/s, p50 ≤ 1 ms over two direct calls', measured: `${f.addedP50} ms (${f.service.p50} vs ${f.direct.p50})`, met: f.addedP50 <= 1 })
    targets.push({ name: 'Added latency at 200 req/s, p99 ≤ 3 ms over two direct calls', measured: `${f.addedP99} ms (${f.service.p99} vs ${f.direct.p99})`, met: f.addedP99 <= 3 })
  }
  const at100 = results.scenarios.flatMap((s) => s.saturation.filter((x) => x.connections === 100).map((x) => x.service.proxyRssMaxMb ?? 0))
  if (at100.length > 0) {
    const peak = Math.max(...at100)
    targets.push({ name: 'RSS ≤ 120 MB under the 100-connection runs', measured: `${peak} MB (highest sample; lifetime peak VmHWM ${Math.max(...results.scenarios.map((s) => s.servicePeakRssMb))} MB)`, met: peak <= 120 })
  }
  if (cancel !== undefined) {
    const lines = logLinesPerRequest(cancel)
    const info = lines.total.info ?? 0
    const infoLines = lines.byMessage.filter((x) => x.line.startsWith('info: ')).map((x) => `${x.line.slice(6)} ${x.perRequest.toFixed(2)}`)
    // Compared at one decimal: a request cut off at the end of a run has no request line.
    targets.push({ name: 'Info log lines per full cancel: 2 (one request line, one audit line)', measured: `${info.toFixed(2)} (${infoLines.join(', ') || 'none'})`, met: Math.round(info * 10) === 20 })
  }
  const runs = allRuns(results)
  const errors = runs.reduce((n, m) => n + m.errors, 0)
  const unexpected = runs.reduce((n, m) => n + m.unexpectedNon2xx, 0)
  const mismatches = runs.reduce((n, m) => n + m.mismatches + m.poolOverdrawn, 0)
  const logged = runs.reduce((n, m) => n + m.log.error, 0)
  targets.push({
    name: 'Zero errors and zero unexpected non-2xx in every run (service, floor and direct)',
    measured: `${errors} errors, ${unexpected} unexpected non-2xx, ${mismatches} wrong answers, ${logged} error log lines`,
    met: errors + unexpected + mismatches === 0
  })
  if (cancel !== undefined) {
    const partial = [...cancel.saturation.flatMap(sidesOf), ...cancel.fixedRate.flatMap((x) => x.runs.flatMap(sidesOf))]
      .filter((m) => m.goodFlows > 0 && (m.upstream.getOrderPerFlow < 1 || m.upstream.cancelItemsPerFlow < 1))
    targets.push({ name: 'Every full-cancel request made both upstream calls (service, floor and direct)', measured: partial.length === 0 ? 'yes (≥ 1 lookup and ≥ 1 cancel per successful flow in every run)' : `${partial.length} runs short of calls`, met: partial.length === 0 })
  }
  return targets
}

const pair = (a: number, b: number): string => `${a.toFixed(2)} / ${b.toFixed(2)}`

function codes (m: Measured): string {
  const problems = m.errors + m.unexpectedNon2xx + m.mismatches + m.poolOverdrawn
  if (problems === 0) return m.expectedNon2xx === 0 ? '0' : `0 (${m.expectedNon2xx} expected non-2xx)`
  const statuses = Object.entries(m.statusCodes).map(([code, n]) => `${code}×${n}`).join(' ')
  return `**${m.errors} errors, ${m.unexpectedNon2xx} unexpected, ${m.mismatches + m.poolOverdrawn} wrong** (${statuses})`
}

const clean = (text: string): boolean => text === '0' || text.startsWith('0 (')
/** Problems of the other sides of a pair, named, after the main side's column. */
const others = (sides: Record<string, Measured | undefined>): string =>
  Object.entries(sides).flatMap(([name, m]) => m === undefined || clean(codes(m)) ? [] : [`; ${name}: ${codes(m)}`]).join('')
const times = (ratio: number | null): string => ratio === null ? '' : `${ratio.toFixed(2)}×`
const percent = (a: number, b: number): string => b === 0 ? '' : `${Math.round((a / b) * 100)}%`

export function renderMarkdown (results: BenchResults): string {
  const m = results.machine
  const lines: string[] = []
  lines.push('# Benchmark: the service beside the simulator called directly and a bare-proxy floor', '')
  lines.push(`- **Date:** ${m.date} (${results.mode} run, ${results.elapsedSeconds} s)`)
  lines.push(`- **Machine:** ${m.cpuModel}, ${m.cores} cores, ${m.memoryGb} GB, Linux ${m.kernel}`)
  lines.push(`- **Versions:** Node ${m.node}, Fastify ${m.fastify}, undici ${m.undici}, autocannon ${m.autocannon}`)
  lines.push(`- **Service build:** ${results.build}`)
  lines.push(`- **Placement:** ${results.placement}`)
  const env = Object.entries(results.service.env).map(([k, v]) => `${k}=${v}`).join(', ')
  lines.push(`- **Service settings:** LOG_LEVEL=${results.service.logLevel} (to bench/results/raw/service.log), ${env}; node flags of \`npm start\`: ${results.service.nodeFlags.join(' ') || 'none'}; everything else at its default`)
  lines.push(`- **Other load on the machine at start:** ${results.otherLoadAtStartCores} cores`)
  lines.push('')
  lines.push('A *flow* is one request to the service, or the direct simulator calls it stands for (two for the cancel flow). ' +
    'Latency is per flow, measured by the load generator; throughput is completed flows per second. ' +
    'Every run of the cancel flow uses fresh orders, so each request makes both upstream calls. ' +
    'The *floor* is `bench/bare-proxy.ts`: the same requests, the same upstream calls, and none of the service\'s other work.', '')

  lines.push('## Targets', '', '| target | measured | met |', '| --- | --- | --- |')
  for (const t of results.targets) lines.push(`| ${t.name} | ${t.measured} | ${t.met ? 'yes' : '**no**'} |`)
  lines.push('')

  lines.push('## Saturation throughput (-c sweep)', '')
  lines.push('| scenario | -c | service req/s | direct flows/s | service ÷ direct | service p50 / p99 ms | direct p50 / p99 ms | service CPU µs/req | cores busy: service / simulator / autocannon / other | service RSS max MB | errors |')
  lines.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | --- |')
  for (const s of results.scenarios) {
    for (const x of s.saturation) {
      const c = x.service.cpu
      lines.push(`| ${s.title} | ${x.connections} | ${x.service.rps} | ${x.direct.rps} | ${Math.round(x.ratio * 100)}% | ${pair(x.service.latency.p50, x.service.latency.p99)} | ${pair(x.direct.latency.p50, x.direct.latency.p99)} | ${c.proxyUsPerFlow ?? ''} | ${c.proxy ?? ''} / ${c.simulator} / ${c.loadGenerator} / ${c.other} | ${x.service.proxyRssMaxMb ?? ''} | ${codes(x.service)}${others({ direct: x.direct })} |`)
    }
  }
  lines.push('')

  lines.push('## The bare-proxy floor at saturation', '')
  lines.push('Each floor run follows the service\'s and the direct run at the same -c, in the same attempt. ' +
    '**Bold**: the -c of the service\'s best throughput, where the CPU target is read.', '')
  lines.push('| scenario | -c | floor req/s | floor ÷ direct | service ÷ floor | floor CPU µs/req | service CPU µs/req | service ÷ floor CPU | floor p50 / p99 ms | cores busy: floor / simulator / autocannon / other | floor RSS max MB | errors |')
  lines.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | --- |')
  for (const s of results.scenarios) {
    const best = serviceBest(s)
    for (const x of s.saturation) {
      if (x.floor === undefined) continue
      const c = x.floor.cpu
      const mark = (text: string | number): string => x === best ? `**${text}**` : String(text)
      lines.push(`| ${s.title} | ${mark(x.connections)} | ${x.floor.rps} | ${percent(x.floor.rps, x.direct.rps)} | ${percent(x.service.rps, x.floor.rps)} | ${c.proxyUsPerFlow ?? ''} | ${x.service.cpu.proxyUsPerFlow ?? ''} | ${mark(times(cpuRatio(x.service, x.floor)))} | ${pair(x.floor.latency.p50, x.floor.latency.p99)} | ${c.proxy ?? ''} / ${c.simulator} / ${c.loadGenerator} / ${c.other} | ${x.floor.proxyRssMaxMb ?? ''} | ${codes(x.floor)} |`)
    }
  }
  lines.push('')

  const repeats = results.plan.repeats as number
  lines.push(`## Fixed-rate latency (autocannon overallRate; median of ${repeats} run${repeats === 1 ? '' : 's'})`, '')
  lines.push('| scenario | rate/s | -c | service p50 / p99 ms | direct p50 / p99 ms | added p50 / p99 ms | achieved service / direct | service CPU µs/req | floor p50 / p99 ms | floor CPU µs/req | service ÷ floor CPU | errors |')
  lines.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |')
  for (const s of results.scenarios) {
    for (const entry of s.fixedRate) {
      const f = fixedSummary(entry)
      const problems = entry.runs.flatMap(sidesOf).map(codes).filter((text) => !clean(text))
      const fl = f.floor
      const floorUs = fl?.cpuUs ?? null
      const ratio = floorUs === null || floorUs === 0 || f.service.cpuUs === null ? null : r2(f.service.cpuUs / floorUs)
      lines.push(`| ${s.title} | ${f.rate} | ${f.connections} | ${pair(f.service.p50, f.service.p99)} | ${pair(f.direct.p50, f.direct.p99)} | ${pair(f.addedP50, f.addedP99)} | ${f.service.rps} / ${f.direct.rps} | ${f.service.cpuUs ?? ''} | ${fl === null ? '' : pair(fl.p50, fl.p99)} | ${fl?.cpuUs ?? ''} | ${times(ratio)} | ${problems.length === 0 ? '0' : problems.join('; ')} |`)
    }
  }
  lines.push('')

  lines.push('## Service log lines per request', '')
  lines.push('Over every measured run of each scenario (saturation and fixed rate), from `bench/results/raw/service.log` at the run\'s LOG_LEVEL, ' +
    'per request id in the log. A request cut off at the end of a run writes no request line, so that line can show a hair under 1.', '')
  lines.push('| scenario | level: message | lines per request |', '| --- | --- | ---: |')
  for (const s of results.scenarios) {
    const counted = logLinesPerRequest(s)
    for (const x of counted.byMessage) lines.push(`| ${s.title} | ${x.line} | ${x.perRequest.toFixed(2)} |`)
    const total = Object.entries(counted.total).map(([level, n]) => `${level} ${n.toFixed(2)}`).join(', ')
    lines.push(`| ${s.title} | **all, by level** | ${total === '' ? '0' : total} |`)
  }
  lines.push('')

  lines.push('## Scenarios', '', '| scenario | service does upstream | direct baseline per flow | service peak RSS (VmHWM) MB | floor peak RSS (VmHWM) MB |', '| --- | --- | --- | ---: | ---: |')
  for (const s of results.scenarios) lines.push(`| ${s.title} | ${s.upstream} | ${s.baseline} | ${s.servicePeakRssMb} | ${s.floorPeakRssMb} |`)
  lines.push('')
  lines.push('Notes:', '')
  lines.push('- A fresh service process and a fresh floor process serve each scenario, each warmed at -c 10 and 50 before anything is measured; the simulator runs throughout and is reset before every run.')
  lines.push('- The floor is placed as the service is (core 0, the load generator on core 1), its CPU is read the same way, and it calls the simulator through an undici Pool with the service\'s pool settings. It runs at every -c of the sweep and at 200 flows/s.')
  lines.push(`- At a fixed rate, autocannon gives each connection an equal share of the rate and sends that share back to back at the start of every second; the runs use one connection per ${String(results.plan.flowsPerConnectionPerSecondAtFixedRate)} flows/s, so requests arrive in short bursts of that many concurrent connections, not evenly spaced.`)
  lines.push('- CPU figures come from /proc (utime + stime, 10 ms ticks). "cores busy" is CPU time over wall time; "other" is busy time on the machine not accounted for by the process under test, the simulator and the bench process.')
  lines.push(`- The runs at one -c or one rate (direct, service and, where measured, floor) are repeated, up to ${String(results.plan.retries)} more times, while other processes keep more than ${String(results.plan.maxOtherCores)} cores busy; the calmest attempt is kept.`)
  lines.push('- Every ITEMS_NOT_CANCELLABLE request addresses the same seeded order, so the service\'s per-order lock serialises them (the lookup happens inside the lock): that scenario\'s throughput is flat from -c 10 on by design. The floor has no lock.')
  lines.push(`- UPSTREAM_QUEUE_LIMIT is ${results.service.env.UPSTREAM_QUEUE_LIMIT ?? 'the default 32'}: with the default, the -c 100 runs with upstream calls exceed 32 in flight + 32 waiting and the bulkhead sheds the excess with 503 at once, by design (those 503s count as unexpected here).`)
  lines.push('- Saturation runs of the cancel flow end when their pool of fresh orders is used up (the simulator keeps at most 10 000), so they can be shorter than the nominal duration.')
  lines.push('')
  return lines.join('\n')
}
