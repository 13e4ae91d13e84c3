// One load run with autocannon: a "flow" is one request to the service (or the bare-proxy floor),
// or the sequence of direct simulator calls that stands in for it. Latency is measured per flow (the sum of its
// requests' times on one connection), throughput in flows per second.
import { performance } from 'node:perf_hooks'
import autocannon from 'autocannon'
import { coreTimes, cpuMs, rssMb, selfCpuMs } from './procs.js'

export interface Step {
  request: autocannon.Request
  /** The status this step must answer; non-2xx ones are counted as expected. */
  status: number
  /** A substring the body must hold. */
  contains: string
}

export interface LoadOptions {
  url: string
  steps: Step[]
  connections: number
  /** Upper bound on the run's length. */
  seconds: number
  /** Flows per second over all connections (autocannon `overallRate`); unset: as fast as possible. */
  rate?: number
  /** Stop after this many flows (a pool of one-use orders); a multiple of `connections`. */
  flows?: number
  /** The process under test: the service or the bare-proxy floor; unset for direct runs. */
  proxyPid?: number
  simulatorPid: number
}

export interface Latency {
  p50: number
  p90: number
  p99: number
  mean: number
  max: number
}

export interface RunStats {
  connections: number
  targetRate: number | null
  seconds: number
  flows: number
  /** Flows whose every answer had the expected status. */
  goodFlows: number
  /** Completed flows per second. */
  rps: number
  /** Per flow, in ms. */
  latency: Latency
  errors: number
  timeouts: number
  statusCodes: Record<string, number>
  expectedNon2xx: number
  unexpectedNon2xx: number
  /** Answers with the expected status but not the expected body, or a 2xx other than the expected one. */
  mismatches: number
  cpu: {
    /** CPU time (user + system) of the process under test per completed flow, in µs. */
    proxyUsPerFlow: number | null
    /** Cores' worth of CPU each process used during the run (proxy: the process under test). */
    proxy: number | null
    simulator: number
    loadGenerator: number
    /** Busy share of each core, 0..1. */
    coreBusy: number[]
    /** Busy cores not accounted for by the three processes above (other work on the machine). */
    other: number
  }
  /** Highest RSS of the process under test, sampled every 200 ms during the run, in MB. */
  proxyRssMaxMb: number | null
}

export function percentile (sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return 0
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return sorted[rank] as number
}

function summarise (samples: number[]): Latency {
  const sorted = Float64Array.from(samples).sort()
  const sum = samples.reduce((a, b) => a + b, 0)
  const round = (n: number): number => Math.round(n * 1000) / 1000
  return {
    p50: round(percentile(sorted, 50)),
    p90: round(percentile(sorted, 90)),
    p99: round(percentile(sorted, 99)),
    mean: round(samples.length === 0 ? 0 : sum / samples.length),
    max: round(sorted.length === 0 ? 0 : sorted[sorted.length - 1] as number)
  }
}

const CLK_MS = 10

export async function runLoad (options: LoadOptions): Promise<RunStats> {
  const { steps, connections, proxyPid, simulatorPid } = options
  const latencies: number[] = []
  const statusCodes: Record<string, number> = {}
  let expectedNon2xx = 0
  let unexpectedNon2xx = 0
  let mismatches = 0
  let lastResponseAt = 0
  let goodFlows = 0

  const requests = steps.map((step): autocannon.Request => ({
    ...step.request,
    onResponse: (status, body) => {
      statusCodes[status] = (statusCodes[status] ?? 0) + 1
      const is2xx = status >= 200 && status < 300
      if (status === step.status) {
        if (!is2xx) expectedNon2xx++
        if (!body.includes(step.contains)) mismatches++
      } else if (is2xx) {
        mismatches++
      } else {
        unexpectedNon2xx++
      }
    }
  }))

  const setupClient = (client: autocannon.Client): void => {
    let step = 0
    let flowMs = 0
    let flowOk = true
    client.on('response', (status: number, _bytes: number, ms: number) => {
      flowMs += ms
      if (status !== steps[step]?.status) flowOk = false
      if (++step === steps.length) {
        latencies.push(flowMs)
        if (flowOk) goodFlows++
        lastResponseAt = performance.now()
        step = 0
        flowMs = 0
        flowOk = true
      }
    })
  }

  const rssSamples: number[] = []
  let vanished = false
  const sampleRss = (): void => {
    if (proxyPid === undefined) return
    try {
      rssSamples.push(rssMb(proxyPid))
    } catch {
      vanished = true
    }
  }
  sampleRss()
  const sampler = setInterval(sampleRss, 200)

  const cores0 = coreTimes()
  const proxy0 = proxyPid === undefined ? 0 : cpuMs(proxyPid)
  const sim0 = cpuMs(simulatorPid)
  const self0 = selfCpuMs()
  const started = performance.now()

  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon({
      url: options.url,
      connections,
      // Our own timer ends the run; autocannon checks its stop flag every sampleInt ms.
      duration: options.seconds + 30,
      sampleInt: 50,
      timeout: 10,
      ...(options.rate === undefined ? {} : { overallRate: options.rate * steps.length }),
      ...(options.flows === undefined ? {} : { amount: options.flows * steps.length }),
      requests,
      setupClient
    }, (error, res) => {
      clearTimeout(timer)
      if (error !== null) reject(error)
      else resolve(res)
    })
    const timer = setTimeout(() => instance.stop(), options.seconds * 1000)
  })

  const ended = performance.now()
  clearInterval(sampler)
  sampleRss()
  if (vanished) throw new Error(`the process under test (pid ${String(proxyPid)}) exited during the run; see its log in bench/results/raw/`)
  const wallMs = ended - started
  const cores1 = coreTimes()
  const proxyMs = proxyPid === undefined ? null : cpuMs(proxyPid) - proxy0
  const simMs = cpuMs(simulatorPid) - sim0
  const selfMs = selfCpuMs() - self0
  const coreBusy = cores1.map((c, i) => {
    const before = cores0[i] ?? { busy: 0, total: 0 }
    const total = c.total - before.total
    return total === 0 ? 0 : Math.round(((c.busy - before.busy) / total) * 100) / 100
  })
  const busyMs = cores1.reduce((sum, c, i) => sum + c.busy - (cores0[i]?.busy ?? 0), 0) * CLK_MS
  // At a fixed rate the run lasts its set length (autocannon sends a second's share at each second's
  // start); at full speed it lasts until the last answer.
  const measuredMs = options.rate !== undefined ? wallMs : Math.max(1, (lastResponseAt === 0 ? ended : lastResponseAt) - started)
  const flows = latencies.length
  const share = (ms: number): number => Math.round((ms / wallMs) * 100) / 100

  return {
    connections,
    targetRate: options.rate ?? null,
    seconds: Math.round(measuredMs) / 1000,
    flows,
    goodFlows,
    rps: Math.round(flows / (measuredMs / 1000)),
    latency: summarise(latencies),
    errors: result.errors,
    timeouts: result.timeouts,
    statusCodes,
    expectedNon2xx,
    unexpectedNon2xx,
    mismatches,
    cpu: {
      proxyUsPerFlow: proxyMs === null || flows === 0 ? null : Math.round((proxyMs * 1000) / flows),
      proxy: proxyMs === null ? null : share(proxyMs),
      simulator: share(simMs),
      loadGenerator: share(selfMs),
      coreBusy,
      other: Math.max(0, share(busyMs - (proxyMs ?? 0) - simMs - selfMs))
    },
    proxyRssMaxMb: rssSamples.length === 0 || proxyPid === undefined ? null : Math.round(Math.max(...rssSamples) * 10) / 10
  }
}
