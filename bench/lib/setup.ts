// Build, environment and placement shared by `npm run bench` and `npm run bench:rss`.
import { execFileSync } from 'node:child_process'
import { createServer } from 'node:http'
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import ts from 'typescript'
import { assertPortFree, BILLING_KEY, core, pinning, RECIPE_ID, spawnPinned, waitUntilOk, type Managed } from './procs.js'
import { git, rawPath, ROOT, workingTreeSource } from './record.js'

// Inside node_modules: ignored by git and ESLint, and packages resolve from there. A private
// build, so a concurrent `npm run build` (which empties dist/) cannot pull the service away mid-run.
const DEFAULT_BUILD = `${ROOT}node_modules/.cache/gop-bench/dist/`
const SNAPSHOT = `${ROOT}node_modules/.cache/gop-bench/ref-`

/**
 * The built service to run: BENCH_DIST if given; else `src` at git ref BENCH_REF (a snapshot, so
 * uncommitted work in the tree stays out); else the working tree's `src`. Both compile into a
 * private directory.
 */
export function buildService (): { dist: string, source: string } {
  const given = process.env.BENCH_DIST
  if (given !== undefined && given !== '') {
    const dist = given.endsWith('/') ? given : `${given}/`
    if (!existsSync(`${dist}server.js`)) throw new Error(`BENCH_DIST=${given} holds no server.js`)
    return { dist, source: `prebuilt ${dist}` }
  }
  // The service, then the simulator beside it (its own project since the service's image left it out).
  const tsc = (tree: string, outDir: string): void => {
    rmSync(outDir, { recursive: true, force: true })
    mkdirSync(outDir, { recursive: true })
    for (const project of ['tsconfig.build.json', 'tsconfig.simulator.json'].filter((name) => existsSync(`${tree}${name}`))) {
      execFileSync(process.execPath, [`${ROOT}node_modules/typescript/bin/tsc`, '-p', `${tree}${project}`, '--outDir', outDir], { cwd: ROOT, stdio: 'inherit' })
    }
  }
  const ref = process.env.BENCH_REF
  if (ref !== undefined && ref !== '') {
    const commit = git('rev-parse', '--short', `${ref}^{commit}`)
    if (commit === '') throw new Error(`BENCH_REF=${ref} is not a commit`)
    const tree = `${SNAPSHOT}${commit}/`
    rmSync(tree, { recursive: true, force: true })
    mkdirSync(tree, { recursive: true })
    process.stderr.write(`bench: compiling src at ${commit} …\n`)
    execFileSync('sh', ['-c', `git archive ${commit} src tsconfig.json tsconfig.build.json $(git ls-tree --name-only ${commit} tsconfig.simulator.json) | tar -x -C "${tree}"`], { cwd: ROOT, stdio: 'inherit' })
    tsc(tree, `${tree}dist/`)
    return { dist: `${tree}dist/`, source: `src at ${commit} (${ref})` }
  }
  process.stderr.write('bench: compiling src …\n')
  tsc(ROOT, DEFAULT_BUILD)
  return { dist: DEFAULT_BUILD, source: workingTreeSource() }
}

const FLOOR_SOURCE = `${ROOT}bench/bare-proxy.ts`
const FLOOR_BUILD = `${ROOT}node_modules/.cache/gop-bench/bare-proxy.mjs`

/**
 * The bare-proxy floor (bench/bare-proxy.ts) as plain JavaScript, so it runs without a loader as
 * the service's build does. Types only are removed; `npm run typecheck` checks them. Always the
 * working tree's: it is part of the benchmark, not of the service under test.
 */
export function buildFloor (): string {
  const { outputText } = ts.transpileModule(readFileSync(FLOOR_SOURCE, 'utf8'), {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true },
    fileName: FLOOR_SOURCE
  })
  mkdirSync(FLOOR_BUILD.slice(0, FLOOR_BUILD.lastIndexOf('/')), { recursive: true })
  writeFileSync(FLOOR_BUILD, outputText)
  return FLOOR_BUILD
}

export const PLACEMENT = pinning
  ? 'service and bare-proxy floor pinned to core 0 (one measured at a time), simulator to core 1 (taskset); autocannon runs in the bench process, moved to core 1 (beside the simulator) for runs against the service or the floor and to core 0 (the idle proxies\' core) for direct runs, so the direct baseline never shares a core'
  : 'not pinned (taskset missing or a single core): every process floats'

/** Service settings the benchmark passes on from its own environment (e.g. UPSTREAM_QUEUE_LIMIT). */
const PASSED_ON = /^(UPSTREAM_|CIRCUIT_)/
/** Passed on as well when tracing is on, e.g. OTEL_TRACES_SAMPLER. */
const PASSED_ON_TRACED = /^OTEL_/

export interface ServiceSettings {
  logLevel: string
  env: Record<string, string>
  /** V8 flags the service runs with: those it ships with (shippedNodeFlags). */
  nodeFlags: string[]
}

/** The service's settings; with `tracesTo`, tracing on and its spans exported to that OTLP/HTTP receiver. */
export function serviceSettings (tracesTo?: string): ServiceSettings {
  const env: Record<string, string> = {
    NODE_ENV: 'production',
    // The configuration's maximum: the limiter stays in the path but never refuses a benchmark request.
    RATE_LIMIT_PER_MINUTE: '1000000',
    OVERLOAD_MAX_EVENT_LOOP_DELAY_MS: '0',
    // Room for the 100-connection runs (32 in flight + 96 waiting): the runs measure throughput, and the
    // bulkhead's shedding at the default 32 waiting has its own test (test/integration/resilience.test.ts).
    UPSTREAM_QUEUE_LIMIT: '96'
  }
  for (const [name, value] of Object.entries(process.env)) {
    if (value !== undefined && (PASSED_ON.test(name) || (tracesTo !== undefined && PASSED_ON_TRACED.test(name)))) env[name] = value
  }
  if (tracesTo !== undefined) env.OTEL_EXPORTER_OTLP_ENDPOINT = tracesTo
  // V8 settings for the service only, e.g. --max-semi-space-size=4.
  const nodeOptions = process.env.BENCH_SERVICE_NODE_OPTIONS
  if (nodeOptions !== undefined && nodeOptions !== '') env.NODE_OPTIONS = nodeOptions
  return { logLevel: process.env.BENCH_LOG_LEVEL ?? 'info', env, nodeFlags: shippedNodeFlags() }
}

export async function startSimulator (dist: string, port: number): Promise<{ proc: Managed, url: string }> {
  await assertPortFree(port)
  const url = `http://127.0.0.1:${port}`
  const proc = spawnPinned('simulator', core(1), [`${dist}simulator/main.js`], {
    SIM_PORT: String(port),
    SIM_LATENCY_MS: '0',
    GOOTEN_RECIPE_ID: RECIPE_ID,
    GOOTEN_PARTNER_BILLING_KEY: BILLING_KEY
  }, rawPath('simulator.log'))
  await waitUntilOk(`${url}/__sim/stats`, proc)
  return { proc, url }
}

/**
 * The V8 flags the service ships with: those of `npm start` (`node <flags> dist/server.js`), which
 * the Dockerfile's CMD repeats (test/container/files.test.ts checks they agree). The bench runs the
 * service with them, so it measures what ships.
 */
export function shippedNodeFlags (): string[] {
  const { scripts } = JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as { scripts: Record<string, string> }
  const match = /^node((?: --[\w-]+(?:=\S+)?)*) dist\/server\.js$/.exec(scripts.start ?? '')
  if (match === null) throw new Error(`npm start is not "node [flags] dist/server.js": ${String(scripts.start)}`)
  return (match[1] as string).split(' ').filter(Boolean)
}

export async function startService (
  dist: string,
  port: number,
  simulatorUrl: string,
  settings: ServiceSettings,
  nodeFlags: string[] = settings.nodeFlags
): Promise<{ proc: Managed, url: string }> {
  await assertPortFree(port)
  const url = `http://127.0.0.1:${port}`
  const proc = spawnPinned('service', core(0), [...nodeFlags, `${dist}server.js`], {
    ...settings.env,
    GOOTEN_BASE_URL: simulatorUrl,
    GOOTEN_RECIPE_ID: RECIPE_ID,
    GOOTEN_PARTNER_BILLING_KEY: BILLING_KEY,
    HOST: '127.0.0.1',
    PORT: String(port),
    LOG_LEVEL: settings.logLevel
  }, rawPath('service.log'))
  await waitUntilOk(`${url}/health/ready`, proc)
  return { proc, url }
}

/** The bare-proxy floor, placed and configured as the service is (its pool size, the credentials). */
export async function startFloor (script: string, port: number, simulatorUrl: string, settings: ServiceSettings): Promise<{ proc: Managed, url: string }> {
  await assertPortFree(port)
  const url = `http://127.0.0.1:${port}`
  const proc = spawnPinned('bare proxy', core(0), [script], {
    NODE_ENV: 'production',
    ...(settings.env.UPSTREAM_MAX_IN_FLIGHT === undefined ? {} : { UPSTREAM_MAX_IN_FLIGHT: settings.env.UPSTREAM_MAX_IN_FLIGHT }),
    GOOTEN_BASE_URL: simulatorUrl,
    GOOTEN_RECIPE_ID: RECIPE_ID,
    GOOTEN_PARTNER_BILLING_KEY: BILLING_KEY,
    HOST: '127.0.0.1',
    PORT: String(port)
  }, rawPath('bare-proxy.log'))
  await waitUntilOk(`${url}/health/ready`, proc)
  return { proc, url }
}

/**
 * A loopback OTLP/HTTP receiver that keeps nothing: what `BENCH_TRACING=1` exports its spans to.
 * It counts the spans named `marker` it was sent, to be set beside the calls they stand for.
 */
export interface TraceSink { url: string, received: () => { exports: number, bytes: number, marked: number }, close: () => Promise<void> }

export async function startTraceSink (port: number, marker: string): Promise<TraceSink> {
  await assertPortFree(port)
  const needle = Buffer.from(marker)
  let exports = 0
  let bytes = 0
  let marked = 0
  const server = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      const body = Buffer.concat(chunks)
      exports++
      bytes += body.length
      for (let at = body.indexOf(needle); at !== -1; at = body.indexOf(needle, at + needle.length)) marked++
      response.writeHead(200, { 'content-type': 'application/x-protobuf' }).end()
    })
  })
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${port}`,
    received: () => ({ exports, bytes, marked }),
    close: async () => await new Promise<void>((resolve) => server.close(() => resolve()))
  }
}
