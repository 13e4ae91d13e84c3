// The service's performance targets (README, Performance), checked against a benchmark run, and
// the run's markdown report.
import type { RunStats } from './load.js'
import type { Machine } from './record.js'
import type { ServiceSettings } from './setup.js'

export interface Measured extends RunStats {
  /** Gooten calls the simulator received during the run, and per flow answered as expected. */
  upstream: { getOrder: number, cancelItems: number, getOrderPerFlow: number, cancelItemsPerFlow: number }
  poolOverdrawn: number
  /** Service log lines at warn and at error or above. */
  log: { warn: number, error: number }
}

export interface ScenarioResults {
  id: string
  title: string
  upstream: string
  baseline: string
  saturation: Array<{ connections: number, service: Measured, direct: Measured, ratio: number }>
  fixedRate: Array<{ rate: number, connections: number, runs: Array<{ service: Measured, direct: Measured }> }>
  servicePeakRssMb: number
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

export interface FixedSummary {
  rate: number
  connections: number
  service: { p50: number, p99: number, rps: number, cpuUs: number | null }
  direct: { p50: number, p99: number, rps: number }
  addedP50: number
  addedP99: number
}

/** Medians over the repeated runs at one rate. */
export function fixedSummary (entry: ScenarioResults['fixedRate'][number]): FixedSummary {
  const svc = entry.runs.map((run) => run.service)
  const dir = entry.runs.map((run) => run.direct)
  const cpu = svc.map((m) => m.cpu.serviceUsPerFlow).filter((v): v is number => v !== null)
  const s = { p50: r2(median(svc.map((m) => m.latency.p50))), p99: r2(median(svc.map((m) => m.latency.p99))), rps: Math.round(median(svc.map((m) => m.rps))), cpuUs: cpu.length === 0 ? null : Math.round(median(cpu)) }
  const d = { p50: r2(median(dir.map((m) => m.latency.p50))), p99: r2(median(dir.map((m) => m.latency.p99))), rps: Math.round(median(dir.map((m) => m.rps))) }
  return { rate: entry.rate, connections: entry.connections, service: s, direct: d, addedP50: r2(s.p50 - d.p50), addedP99: r2(s.p99 - d.p99) }
}

function allRuns (results: BenchResults): Measured[] {
  return results.scenarios.flatMap((s) => [
    ...s.saturation.flatMap((x) => [x.service, x.direct]),
    ...s.fixedRate.flatMap((x) => x.runs.flatMap((run) => [run.service, run.direct]))
  ])
}

export function evaluateTargets (results: BenchResults): Target[] {
  const targets: Target[] = []
  const scenario = (id: string): ScenarioResults | undefined => results.scenarios.find((s) => s.id === id)
  const cancel = scenario('cancel')
  if (cancel !== undefined) {
    if (cancel.saturation.length > 0) {
      const svc = Math.max(...cancel.saturation.map((x) => x.service.rps))
      const dir = Math.max(...cancel.saturation.map((x) => x.direct.rps))
      const ratio = dir === 0 ? 0 : svc / dir
      targets.push({ name: 'Full cancel flow at saturation ≥ 50% of the direct two-call throughput (best of the -c sweep each)', measured: `${svc} req/s vs ${dir} flows/s = ${Math.round(ratio * 100)}%`, met: ratio >= 0.5 })
    }
    const at200 = cancel.fixedRate.find((x) => x.rate === 200)
    if (at200 !== undefined) {
      const f = fixedSummary(at200)
      targets.push({ name: 'Added latency at 200 req/s, p50 ≤ 2 ms over two direct calls', measured: `${f.addedP50} ms (${f.service.p50} vs ${f.direct.p50})`, met: f.addedP50 <= 2 })
      targets.push({ name: 'Added latency at 200 req/s, p99 ≤ 10 ms over two direct calls', measured: `${f.addedP99} ms (${f.service.p99} vs ${f.direct.p99})`, met: f.addedP99 <= 10 })
    }
    const partial = cancel.saturation.flatMap((x) => [x.service, x.direct]).filter((m) => m.goodFlows > 0 && (m.upstream.getOrderPerFlow < 1 || m.upstream.cancelItemsPerFlow < 1))
    targets.push({ name: 'Every full-cancel request made both upstream calls', measured: partial.length === 0 ? 'yes (≥ 1 lookup and ≥ 1 cancel per successful flow in every run)' : `${partial.length} runs short of calls`, met: partial.length === 0 })
  }
  const invalid = scenario('invalid')
  if (invalid !== undefined && invalid.saturation.length > 0) {
    const best = Math.max(...invalid.saturation.map((x) => x.service.rps))
    targets.push({ name: 'Validation rejects ≥ 10k req/s with the service on one core', measured: `${best} req/s`, met: best >= 10_000 })
  }
  const at100 = results.scenarios.flatMap((s) => s.saturation.filter((x) => x.connections === 100).map((x) => x.service.serviceRssMaxMb ?? 0))
  if (at100.length > 0) {
    const peak = Math.max(...at100)
    targets.push({ name: 'RSS ≤ 120 MB under the 100-connection runs', measured: `${peak} MB (highest sample; lifetime peak VmHWM ${Math.max(...results.scenarios.map((s) => s.servicePeakRssMb))} MB)`, met: peak <= 120 })
  }
  const runs = allRuns(results)
  const errors = runs.reduce((n, m) => n + m.errors, 0)
  const unexpected = runs.reduce((n, m) => n + m.unexpectedNon2xx, 0)
  const mismatches = runs.reduce((n, m) => n + m.mismatches + m.poolOverdrawn, 0)
  const logged = runs.reduce((n, m) => n + m.log.error, 0)
  targets.push({
    name: 'Zero errors and zero unexpected non-2xx in every run',
    measured: `${errors} errors, ${unexpected} unexpected non-2xx, ${mismatches} wrong answers, ${logged} error log lines`,
    met: errors + unexpected + mismatches === 0
  })
  return targets
}

const pair = (a: number, b: number): string => `${a.toFixed(2)} / ${b.toFixed(2)}`

function codes (m: Measured): string {
  const problems = m.errors + m.unexpectedNon2xx + m.mismatches + m.poolOverdrawn
  if (problems === 0) return m.expectedNon2xx === 0 ? '0' : `0 (${m.expectedNon2xx} expected non-2xx)`
  const statuses = Object.entries(m.statusCodes).map(([code, n]) => `${code}×${n}`).join(' ')
  return `**${m.errors} errors, ${m.unexpectedNon2xx} unexpected, ${m.mismatches + m.poolOverdrawn} wrong** (${statuses})`
}

export function renderMarkdown (results: BenchResults): string {
  const m = results.machine
  const lines: string[] = []
  lines.push('# Benchmark: the service beside the simulator called directly', '')
  lines.push(`- **Date:** ${m.date} (${results.mode} run, ${results.elapsedSeconds} s)`)
  lines.push(`- **Machine:** ${m.cpuModel}, ${m.cores} cores, ${m.memoryGb} GB, Linux ${m.kernel}`)
  lines.push(`- **Versions:** Node ${m.node}, Fastify ${m.fastify}, undici ${m.undici}, autocannon ${m.autocannon}`)
  lines.push(`- **Service build:** ${results.build}`)
  lines.push(`- **Placement:** ${results.placement}`)
  const env = Object.entries(results.service.env).map(([k, v]) => `${k}=${v}`).join(', ')
  lines.push(`- **Service settings:** LOG_LEVEL=${results.service.logLevel} (to bench/results/raw/service.log), ${env}; everything else at its default`)
  lines.push(`- **Other load on the machine at start:** ${results.otherLoadAtStartCores} cores`)
  lines.push('')
  lines.push('A *flow* is one request to the service, or the direct simulator calls it stands for (two for the cancel flow). ' +
    'Latency is per flow, measured by the load generator; throughput is completed flows per second. ' +
    'Every run of the cancel flow uses fresh orders, so each request makes both upstream calls.', '')

  lines.push('## Targets', '', '| target | measured | met |', '| --- | --- | --- |')
  for (const t of results.targets) lines.push(`| ${t.name} | ${t.measured} | ${t.met ? 'yes' : '**no**'} |`)
  lines.push('')

  lines.push('## Saturation throughput (-c sweep)', '')
  lines.push('| scenario | -c | service req/s | direct flows/s | service ÷ direct | service p50 / p99 ms | direct p50 / p99 ms | service CPU µs/req | cores busy: service / simulator / autocannon / other | service RSS max MB | errors |')
  lines.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | --- |')
  for (const s of results.scenarios) {
    for (const x of s.saturation) {
      const c = x.service.cpu
      lines.push(`| ${s.title} | ${x.connections} | ${x.service.rps} | ${x.direct.rps} | ${Math.round(x.ratio * 100)}% | ${pair(x.service.latency.p50, x.service.latency.p99)} | ${pair(x.direct.latency.p50, x.direct.latency.p99)} | ${c.serviceUsPerFlow ?? ''} | ${c.service ?? ''} / ${c.simulator} / ${c.loadGenerator} / ${c.other} | ${x.service.serviceRssMaxMb ?? ''} | ${codes(x.service)}${codes(x.direct) === '0' || codes(x.direct).startsWith('0 (') ? '' : `; direct: ${codes(x.direct)}`} |`)
    }
  }
  lines.push('')

  const repeats = results.plan.repeats as number
  lines.push(`## Fixed-rate latency (autocannon overallRate; median of ${repeats} run${repeats === 1 ? '' : 's'})`, '')
  lines.push('| scenario | rate/s | -c | service p50 / p99 ms | direct p50 / p99 ms | added p50 / p99 ms | achieved service / direct | service CPU µs/req | errors |')
  lines.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |')
  for (const s of results.scenarios) {
    for (const entry of s.fixedRate) {
      const f = fixedSummary(entry)
      const problems = entry.runs.flatMap((run) => [run.service, run.direct]).map(codes).filter((text) => !(text === '0' || text.startsWith('0 (')))
      lines.push(`| ${s.title} | ${f.rate} | ${f.connections} | ${pair(f.service.p50, f.service.p99)} | ${pair(f.direct.p50, f.direct.p99)} | ${pair(f.addedP50, f.addedP99)} | ${f.service.rps} / ${f.direct.rps} | ${f.service.cpuUs ?? ''} | ${problems.length === 0 ? '0' : problems.join('; ')} |`)
    }
  }
  lines.push('')

  lines.push('## Scenarios', '', '| scenario | service does upstream | direct baseline per flow | service peak RSS (VmHWM) MB |', '| --- | --- | --- | ---: |')
  for (const s of results.scenarios) lines.push(`| ${s.title} | ${s.upstream} | ${s.baseline} | ${s.servicePeakRssMb} |`)
  lines.push('')
  lines.push('Notes:', '')
  lines.push('- A fresh service process serves each scenario; the simulator runs throughout and is reset before every run.')
  lines.push(`- At a fixed rate, autocannon gives each connection an equal share of the rate and sends that share back to back at the start of every second; the runs use one connection per ${String(results.plan.flowsPerConnectionPerSecondAtFixedRate)} flows/s, so requests arrive in short bursts of that many concurrent connections, not evenly spaced.`)
  lines.push('- CPU figures come from /proc (utime + stime, 10 ms ticks). "cores busy" is CPU time over wall time; "other" is busy time on the machine not accounted for by the service, the simulator and the bench process.')
  lines.push('- A pair of runs (direct, then service) is repeated, up to twice, while other processes keep more than 0.3 cores busy; the calmest attempt is kept.')
  lines.push('- Every ITEMS_NOT_CANCELLABLE request addresses the same seeded order, so the service\'s per-order lock serialises them (the lookup happens inside the lock): that scenario\'s throughput is flat from -c 10 on by design.')
  lines.push(`- UPSTREAM_QUEUE_LIMIT is ${results.service.env.UPSTREAM_QUEUE_LIMIT ?? 'the default 32'}: with the default, the -c 100 runs with upstream calls exceed 32 in flight + 32 waiting and the bulkhead sheds the excess with 503 at once, by design (those 503s count as unexpected here).`)
  lines.push('- Saturation runs of the cancel flow end when their pool of fresh orders is used up (the simulator keeps at most 10 000), so they can be shorter than the nominal duration.')
  lines.push('')
  return lines.join('\n')
}
