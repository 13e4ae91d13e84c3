// `npm run bench:ablation`: where the service's CPU per full cancel goes, measured by switching its
// duties off one at a time (bench/ablated-service.ts) beside the whole service and the bare-proxy
// floor, all at one concurrency (BENCH_CONCURRENCY, default 50). Every variant runs as its own
// process, pinned to core 0, warmed once; then each round measures every variant back to back, in
// an order rotated from round to round, and the report gives per-variant medians over the rounds
// of the ratios to the floor and to the whole service taken within each round.
// BENCH_ABLATION picks the set of variants: duties (default), tracing, stack (the floor under Fastify
// and pino, each with and without npm start's V8 flags), heap (V8 flags in place of
// npm start's; others with BENCH_ABLATION_FLAGS='--a|--b --c'), compare (BENCH_BEFORE_DIST, a build to set beside this one).
// Writes bench/results/raw/<BENCH_OUT or ablation-<set>>.{json,md}; a run with no overrides also
// writes the committed summary bench/results/ablation.md (duties) or ablation-<set>.md.
import { readFileSync, writeFileSync } from 'node:fs'
import ts from 'typescript'
import { runLoad, type RunStats } from './lib/load.js'
import { BILLING_KEY, core, foreignLoad, pinSelf, RECIPE_ID, rssMb, spawnPinned, assertPortFree, waitUntilOk, type Managed } from './lib/procs.js'
import { isStandardRun, machine, rawPath, ROOT, writeRun } from './lib/record.js'
import { createPool, SCENARIOS, upstreamCounts } from './lib/scenarios.js'
import { buildFloor, buildService, PLACEMENT, serviceSettings, shippedNodeFlags, startSimulator, startTraceSink, type TraceSink } from './lib/setup.js'

const log = (line: string): void => { process.stderr.write(`bench:ablation: ${line}\n`) }
const number = (name: string, fallback: number): number => process.env[name] === undefined ? fallback : Number(process.env[name])

const SET = process.env.BENCH_ABLATION ?? 'duties'
const CONNECTIONS = number('BENCH_CONCURRENCY', 50)
const ROUNDS = number('BENCH_ROUNDS', 5)
/** Full cancels per measured run: each needs a fresh order, and the simulator keeps 10 000. */
const FLOWS = Math.floor(number('BENCH_FLOWS', 3000) / CONNECTIONS) * CONNECTIONS
const WARMUP_FLOWS = number('BENCH_WARMUP_FLOWS', 4000)
// Below the ephemeral range (32768 up), where an outgoing connection could hold a port first.
const SIM_PORT = number('BENCH_SIM_PORT', 31510)
const FIRST_PORT = number('BENCH_PORT', 31520)
const COLLECTOR_PORT = number('BENCH_COLLECTOR_PORT', 31509)
const out = process.env.BENCH_OUT ?? `ablation-${SET}`
const standard = isStandardRun(['BENCH_OUT', 'BENCH_DIST', 'BENCH_CONCURRENCY', 'BENCH_ROUNDS', 'BENCH_FLOWS', 'BENCH_WARMUP_FLOWS', 'BENCH_ABLATION_FLAGS', 'BENCH_SERVICE_NODE_OPTIONS'])

/** One process to measure: the floor, or the service with some duties off, other V8 flags, tracing or another build. */
interface Variant {
  id: string
  /** What differs from the whole service, in a few words. */
  what: string
  floor?: true
  /** Duties switched off by bench/ablated-service.ts. */
  ablate?: string[]
  env?: Record<string, string>
  /** Another variant's id: the report adds this one's CPU ÷ that one's, round by round (traced ÷ untraced). */
  versus?: string
  /** V8 flags in place of those the service ships with (npm start's). */
  nodeFlags?: string[]
  dist?: string
}

const DUTY_STAND_INS: Array<[string, string]> = [
  ['metrics', 'no prom-client counters or histograms, no onResponse hook'],
  ['locks', 'no per-order lock: the cancel runs at once, never stale'],
  ['idempotency', 'no Idempotency-Key hooks on the cancel route (the bench sends no key: this is the cost for requests without one)'],
  ['rate-limit', '@fastify/rate-limit not registered'],
  ['deadline', 'one shared deadline that never reads the clock, no body timer per Gooten call'],
  ['bulkhead', 'no slot counting: every Gooten call goes at once'],
  ['validation', 'every schema passes without Ajv'],
  ['serialisation', 'JSON.stringify instead of fast-json-stringify']
]
const TRACED = (sampler: string, arg?: string): Record<string, string> => ({
  OTEL_TRACES_SAMPLER: sampler,
  ...(arg === undefined ? {} : { OTEL_TRACES_SAMPLER_ARG: arg })
})
const FLOOR: Variant = { id: 'floor', what: 'bench/bare-proxy.ts: the same two Gooten calls and nothing else', floor: true }
const WHOLE: Variant = { id: 'service', what: 'the whole service, as it ships (tracing off, npm start\'s node flags)' }

function variants (): Variant[] {
  switch (SET) {
    case 'duties':
      return [
        FLOOR,
        WHOLE,
        { id: 'no logging', what: 'LOG_LEVEL=silent: no access or audit line', env: { LOG_LEVEL: 'silent' } },
        ...DUTY_STAND_INS.map(([duty, what]): Variant => ({ id: `no ${duty}`, what, ablate: [duty] })),
        { id: 'all of these off', what: 'every duty above off at once: Fastify, routing, the domain and the Gooten client remain', env: { LOG_LEVEL: 'silent' }, ablate: DUTY_STAND_INS.map(([duty]) => duty) },
        { id: 'tracing on, 10%', what: 'OTLP export to a receiver in the bench process, parentbased_traceidratio 0.1', env: TRACED('parentbased_traceidratio', '0.1'), versus: 'service' }
      ]
    case 'tracing':
      return [
        FLOOR,
        WHOLE,
        { id: 'tracing on, always_off', what: 'tracing on, no request sampled', env: TRACED('always_off') },
        { id: 'tracing on, 10%', what: 'parentbased_traceidratio 0.1', env: TRACED('parentbased_traceidratio', '0.1') },
        { id: 'tracing on, 100%', what: 'every request sampled', env: TRACED('always_on') },
        { id: '10%, no undici spans', what: 'traced at 0.1 without @opentelemetry/instrumentation-undici', env: TRACED('parentbased_traceidratio', '0.1'), ablate: ['undici-spans'] },
        { id: '10%, no trace ids in logs', what: 'traced at 0.1 without our hooks (trace ids on log lines, problem code on the span)', env: TRACED('parentbased_traceidratio', '0.1'), ablate: ['trace-log-fields'] }
      ]
    case 'stack': {
      // What the fixed stack costs before any duty, and what npm start's V8 flags cost on each.
      const fastify = { FLOOR_FRAMEWORK: 'fastify' }
      return [
        FLOOR,
        { id: 'Fastify floor', what: 'the floor\'s calls behind Fastify\'s router and JSON body parser, one pino line per request; V8 sizes the heap', floor: true, env: fastify },
        { id: 'Fastify floor, flags', what: 'the same with npm start\'s node flags', floor: true, env: fastify, nodeFlags: shippedNodeFlags() },
        WHOLE,
        { id: 'service, no flags', what: 'the whole service; V8 sizes the heap', nodeFlags: [] }
      ]
    }
    case 'heap': {
      const flags = process.env.BENCH_ABLATION_FLAGS?.split('|').filter(Boolean) ?? [
        '--max-semi-space-size=1', '--max-semi-space-size=2', '--max-semi-space-size=4', '--max-semi-space-size=8', '--max-semi-space-size=16',
        '--max-old-space-size=64', '--max-old-space-size=96', '--max-semi-space-size=4 --max-old-space-size=96'
      ]
      return [
        FLOOR,
        { id: 'no flags', what: 'V8 sizes the heap itself', nodeFlags: [] },
        ...flags.map((line): Variant => ({ id: line, what: `node ${line} dist/server.js`, nodeFlags: line.split(' ') }))
      ]
    }
    case 'compare': {
      const before = process.env.BENCH_BEFORE_DIST
      if (before === undefined) throw new Error('BENCH_ABLATION=compare needs BENCH_BEFORE_DIST, a build to set beside this one')
      const dist = before.endsWith('/') ? before : `${before}/`
      return [
        FLOOR,
        // Both builds with npm start's node flags, so that only the code differs.
        { id: 'before', what: `the build in ${before}, npm start's node flags`, dist },
        { id: 'after', what: 'this build, npm start\'s node flags' },
        { id: 'before, tracing on, 10%', what: 'the build before, traced at 0.1', dist, env: TRACED('parentbased_traceidratio', '0.1'), versus: 'before' },
        { id: 'after, tracing on, 10%', what: 'this build, traced at 0.1', env: TRACED('parentbased_traceidratio', '0.1'), versus: 'after' }
      ]
    }
    default:
      throw new Error(`BENCH_ABLATION=${SET}: one of duties, tracing, stack, heap, compare`)
  }
}

/** bench/ablated-service.ts as plain JavaScript beside the build, run without a loader as the service is. */
function buildAblatedEntry (): string {
  const source = `${ROOT}bench/ablated-service.ts`
  const target = `${ROOT}node_modules/.cache/gop-bench/ablated-service.mjs`
  const { outputText } = ts.transpileModule(readFileSync(source, 'utf8'), {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true },
    fileName: source
  })
  writeFileSync(target, outputText)
  return target
}

interface Running { variant: Variant, proc: Managed, url: string, idleRssMb: number }

const build = buildService()
const floorScript = buildFloor()
const entry = buildAblatedEntry()
const list = variants()
const sink: TraceSink | undefined = list.some((v) => v.env?.OTEL_TRACES_SAMPLER !== undefined) ? await startTraceSink(COLLECTOR_PORT, 'gooten cancelItems') : undefined
const settings = serviceSettings()
const simulator = await startSimulator(build.dist, SIM_PORT)
const running: Running[] = []
const cancel = SCENARIOS.find((s) => s.id === 'cancel')
if (cancel === undefined) throw new Error('no cancel scenario')

async function start (variant: Variant, port: number): Promise<Running> {
  await assertPortFree(port)
  const url = `http://127.0.0.1:${port}`
  const common = { GOOTEN_BASE_URL: simulator.url, GOOTEN_RECIPE_ID: RECIPE_ID, GOOTEN_PARTNER_BILLING_KEY: BILLING_KEY, HOST: '127.0.0.1', PORT: String(port) }
  const logFile = rawPath(`ablation/${variant.id.replace(/[^a-z0-9]+/gi, '-')}.log`)
  let proc: Managed
  if (variant.floor === true) {
    proc = spawnPinned(variant.id, core(0), [...(variant.nodeFlags ?? []), floorScript], { NODE_ENV: 'production', ...common, ...variant.env }, logFile)
  } else {
    const env: Record<string, string> = { ...settings.env, ...common, LOG_LEVEL: settings.logLevel, ...variant.env }
    if (variant.env?.OTEL_TRACES_SAMPLER !== undefined && sink !== undefined) env.OTEL_EXPORTER_OTLP_ENDPOINT = sink.url
    if (variant.ablate !== undefined) env.BENCH_ABLATE = variant.ablate.join(',')
    const dist = variant.dist ?? build.dist
    const flags = variant.nodeFlags ?? settings.nodeFlags
    proc = spawnPinned(variant.id, core(0), [...flags, ...(variant.ablate === undefined ? [`${dist}server.js`] : [entry, dist])], env, logFile)
  }
  await waitUntilOk(`${url}/health/ready`, proc)
  return { variant, proc, url, idleRssMb: Math.round(rssMb(proc.pid) * 10) / 10 }
}

async function run (target: Running, connections: number, flows: number): Promise<RunStats & { cancelCallsPerFlow: number }> {
  pinSelf(core(1))
  const pool = await createPool(simulator.url, flows)
  const stats = await runLoad({
    url: target.url,
    steps: (cancel as NonNullable<typeof cancel>).service(pool),
    connections,
    seconds: 30,
    flows,
    proxyPid: target.proc.pid,
    simulatorPid: simulator.proc.pid
  })
  const upstream = await upstreamCounts(simulator.url)
  return { ...stats, cancelCallsPerFlow: stats.goodFlows === 0 ? 0 : upstream.cancelItems / stats.goodFlows }
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[mid] as number : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2
}
const round2 = (n: number): number => Math.round(n * 100) / 100

interface Row {
  id: string
  what: string
  idleRssMb: number
  usPerCancel: number[]
  toFloor: number[]
  toWhole: number[]
  rssMaxMb: number[]
  other: number[]
  problems: number
}

async function stopAll (): Promise<void> {
  for (const target of running) await target.proc.stop()
  await simulator.proc.stop()
  await sink?.close()
}
process.once('SIGINT', () => { stopAll().finally(() => process.exit(130)) })
process.once('SIGTERM', () => { stopAll().finally(() => process.exit(143)) })

try {
  const other = await foreignLoad([simulator.proc.pid])
  if (other > 0.25) log(`warning: other processes keep ${other.toFixed(2)} cores busy; figures will be noisy`)
  for (const [index, variant] of list.entries()) running.push(await start(variant, FIRST_PORT + index))
  log(`${running.length} processes up; warming each at -c 10 and -c ${CONNECTIONS}`)
  for (const target of running) {
    await run(target, 10, WARMUP_FLOWS / 2)
    await run(target, CONNECTIONS, WARMUP_FLOWS / 2)
  }
  const rows = new Map<string, Row>(running.map((r) => [r.variant.id, { id: r.variant.id, what: r.variant.what, idleRssMb: r.idleRssMb, usPerCancel: [], toFloor: [], toWhole: [], rssMaxMb: [], other: [], problems: 0 }]))
  const wholeId = list.find((v) => v.floor !== true)?.id as string
  for (let r = 0; r < ROUNDS; r++) {
    const order = running.map((_, i) => running[(i + r) % running.length] as Running)
    const cpu = new Map<string, number>()
    for (const target of order) {
      const stats = await run(target, CONNECTIONS, FLOWS)
      const row = rows.get(target.variant.id) as Row
      const problems = stats.errors + stats.unexpectedNon2xx + stats.mismatches + (stats.cancelCallsPerFlow < 1 ? 1 : 0)
      row.problems += problems
      row.usPerCancel.push(stats.cpu.proxyUsPerFlow ?? 0)
      row.rssMaxMb.push(stats.proxyRssMaxMb ?? 0)
      row.other.push(stats.cpu.other)
      cpu.set(target.variant.id, stats.cpu.proxyUsPerFlow ?? 0)
      log(`round ${r + 1}/${ROUNDS} ${target.variant.id}: ${stats.cpu.proxyUsPerFlow} µs/cancel, ${stats.rps}/s, rss ${stats.proxyRssMaxMb} MB, other ${stats.cpu.other}${problems === 0 ? '' : ` PROBLEMS ${problems}`}`)
    }
    const floorUs = cpu.get(FLOOR.id)
    const wholeUs = cpu.get(wholeId) as number
    for (const [id, us] of cpu) {
      const row = rows.get(id) as Row
      if (floorUs !== undefined) row.toFloor.push(us / floorUs)
      row.toWhole.push(us / wholeUs)
    }
  }

  const table = [...rows.values()].map((row) => ({
    id: row.id,
    what: row.what,
    usPerCancel: median(row.usPerCancel),
    toFloor: row.toFloor.length === 0 ? null : round2(median(row.toFloor)),
    toFloorRange: row.toFloor.length === 0 ? null : [round2(Math.min(...row.toFloor)), round2(Math.max(...row.toFloor))],
    toWhole: round2(median(row.toWhole)),
    toWholeRange: [round2(Math.min(...row.toWhole)), round2(Math.max(...row.toWhole))],
    idleRssMb: row.idleRssMb,
    rssMaxMb: Math.round(median(row.rssMaxMb) * 10) / 10,
    otherCores: round2(median(row.other)),
    problems: row.problems,
    runs: row.usPerCancel
  }))
  const m = machine()
  const spans = sink?.received()
  const header = [
    `# Ablation (${SET}): CPU per full cancel at -c ${CONNECTIONS}`,
    '',
    `- **Date:** ${m.date}`,
    `- **Machine:** ${m.cpuModel}, ${m.cores} cores, ${m.memoryGb} GB, Linux ${m.kernel}`,
    `- **Versions:** Node ${m.node}, Fastify ${m.fastify}, undici ${m.undici}, autocannon ${m.autocannon}`,
    `- **Service build:** ${build.source}`,
    `- **Placement:** ${PLACEMENT}`,
    `- **Plan:** ${running.length} processes started together, each warmed with ${WARMUP_FLOWS} cancels; then ${ROUNDS} rounds, each measuring every variant once (order rotated each round) for ${FLOWS} full cancels of fresh orders at -c ${CONNECTIONS}; CPU is utime + stime from /proc over the run ÷ cancels completed. Ratios are taken within a round, then the median over rounds is given with its range.`,
    `- **Other load on the machine at start:** ${round2(other)} cores`,
    ''
  ]
  const lines = [
    '| variant | what differs | CPU per cancel ÷ floor (range) | ÷ whole service (range) | saves vs whole | idle RSS MB | RSS max MB | other cores | errors, non-2xx, wrong |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...table.map((t) => `| ${t.id} | ${t.what} | ${t.toFloor === null ? '' : `${t.toFloor.toFixed(2)}× (${t.toFloorRange?.map((x) => x.toFixed(2)).join('–')})`} | ${t.toWhole.toFixed(2)}× (${t.toWholeRange.map((x) => x.toFixed(2)).join('–')}) | ${t.id === wholeId ? '' : `${Math.round((1 - t.toWhole) * 100)}%`} | ${t.idleRssMb} | ${t.rssMaxMb} | ${t.otherCores} | ${t.problems} |`)
  ]
  const versus = list.filter((v) => v.versus !== undefined).map((v) => {
    const mine = (rows.get(v.id) as Row).usPerCancel
    const theirs = (rows.get(v.versus as string) as Row).usPerCancel
    const ratios = mine.map((us, i) => us / (theirs[i] as number))
    return `${v.id} ÷ ${v.versus as string}: ${round2(median(ratios)).toFixed(2)}× (${ratios.map((r) => round2(r).toFixed(2)).join(', ')} by round)`
  })
  const footer = [
    ...(versus.length === 0 ? [] : ['', 'CPU per cancel, round by round:', '', ...versus.map((line) => `- ${line}`)]),
    '',
    `Ratios only: absolute times on a shared machine say more about its other load than about the service (they are in ${out}.json).`,
    ...(spans === undefined ? [] : ['', `The span receiver got ${spans.exports} OTLP exports (${spans.bytes} bytes) holding ${spans.marked} \`gooten cancelItems\` spans.`])
  ]
  const markdown = [...header, ...lines, ...footer, ''].join('\n')
  const summary = standard ? (SET === 'duties' ? 'ablation.md' : `ablation-${SET}.md`) : undefined
  const written = writeRun(out, { machine: m, build: build.source, set: SET, connections: CONNECTIONS, rounds: ROUNDS, flows: FLOWS, table }, markdown, summary)
  process.stdout.write(`${lines.join('\n')}\n`)
  log(`wrote ${written.join(', ')}`)
  if (table.some((t) => t.problems > 0)) process.exitCode = 1
} finally {
  await stopAll()
}
