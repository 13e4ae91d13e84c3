// The markdown summary of a soak run (`npm run soak`): what ran, where, and what came of it.
import type { Machine } from '../bench/lib/record.js'

export interface SoakSample { at: number, heapUsedMb: number, rssMb: number, upstreamSockets: number }

export interface SoakResult {
  machine: Machine
  /** Which source was built and run, e.g. `src at 6a91a01`. */
  build: string
  seconds: number
  workers: number
  faultRate: number
  faultKinds: string[]
  counts: { requests: number, ok: number, clientErrors: number, unexpected5xx: number, networkErrors: number, faultsInjected: number }
  unhandledErrorLines: number
  firstUnexpected: unknown[]
  samples: SoakSample[]
}

const range = (values: number[]): string => `${Math.min(...values)}–${Math.max(...values)}`
const count = (n: number): string => n.toLocaleString('en-US')

/** `note`, when given, is printed under the heading (e.g. where the run's facts came from). */
export function renderSoak (result: SoakResult, note?: string): string {
  const { machine: m, counts: c, samples } = result
  const failed = c.unexpected5xx > 0 || c.networkErrors > 0 || result.unhandledErrorLines > 0
  const lastMinute = samples.filter((s) => s.at >= (samples[samples.length - 1]?.at ?? 0) - 60)
  const lines = [
    '# Soak run', '',
    ...(note === undefined ? [] : [note, '']),
    `- **Date:** ${m.date}`,
    `- **Machine:** ${m.cpuModel}, ${m.cores} cores, ${m.memoryGb} GB, Linux ${m.kernel}`,
    `- **Versions:** Node ${m.node}, Fastify ${m.fastify}, undici ${m.undici}`,
    `- **Service build:** ${result.build} (dist/, NODE_ENV=production, LOG_LEVEL=warn), against the simulator in its own process`,
    `- **Load:** ${result.workers} workers for ${result.seconds} s; each worker looks up a fresh order, then cancels both of its items. ` +
      `Before ${result.faultRate * 100}% of requests one Gooten fault is injected (${result.faultKinds.join(', ')}), never more than one pending at a time.`,
    '',
    `Verdict: ${failed ? '**failed**' : 'passed'} (no unexpected 5xx, no network error and no unhandled-error log line is a pass).`,
    '',
    '| requests | 2xx/3xx | 4xx | unexpected 5xx | network errors | faults injected | unhandled-error log lines |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    `| ${count(c.requests)} | ${count(c.ok)} | ${count(c.clientErrors)} | ${c.unexpected5xx} | ${c.networkErrors} | ${count(c.faultsInjected)} | ${result.unhandledErrorLines} |`,
    '',
    `Sampled every 10 s: heap used ${range(samples.map((s) => s.heapUsedMb))} MB (last minute ${range(lastMinute.map((s) => s.heapUsedMb))}), ` +
      `RSS ${range(samples.map((s) => s.rssMb))} MB (last minute ${range(lastMinute.map((s) => s.rssMb))}), ` +
      `upstream sockets ${range(samples.map((s) => s.upstreamSockets))}.`,
    ''
  ]
  if (result.firstUnexpected.length > 0) {
    lines.push('First unexpected answers:', '', ...result.firstUnexpected.map((u) => `- \`${JSON.stringify(u)}\``), '')
  }
  lines.push('| t s | heap used MB | RSS MB | upstream sockets |', '| ---: | ---: | ---: | ---: |')
  const start = samples[0]?.at ?? 0
  for (const s of samples) lines.push(`| ${s.at - start} | ${s.heapUsedMb} | ${s.rssMb} | ${s.upstreamSockets} |`)
  lines.push('')
  return lines.join('\n')
}
