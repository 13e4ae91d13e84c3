// Where a run's output goes, and the facts that date it. Every run keeps its raw data and its
// report in bench/results/raw/ (ignored by git); only a run of the standard plan also writes the
// committed summary, bench/results/<name>.md, so a one-off run never replaces the record.
import { execFileSync } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { cpus, release, totalmem } from 'node:os'
import { fileURLToPath } from 'node:url'

export const ROOT = fileURLToPath(new URL('../../', import.meta.url))
/** Committed: one markdown summary per benchmark and per soak. */
export const RESULTS = `${ROOT}bench/results/`
/** Ignored by git: raw JSON, reports of every run, service and simulator logs, CPU profiles. */
export const RAW = `${RESULTS}raw/`

/** A path under RAW, its directory created. */
export function rawPath (name: string): string {
  const path = `${RAW}${name}`
  mkdirSync(path.slice(0, path.lastIndexOf('/')), { recursive: true })
  return path
}

export function git (...args: string[]): string {
  try {
    return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()
  } catch {
    return ''
  }
}

function version (pkg: string): string {
  return (JSON.parse(readFileSync(`${ROOT}node_modules/${pkg}/package.json`, 'utf8')) as { version: string }).version
}

/** The working tree's src, as a run built from it reports it. */
export function workingTreeSource (): string {
  const dirty = git('status', '--porcelain', '--', 'src') !== ''
  return `src at ${git('rev-parse', '--short', 'HEAD')}${dirty ? ' with uncommitted changes' : ''}`
}

export interface Machine {
  date: string
  node: string
  fastify: string
  undici: string
  autocannon: string
  cpuModel: string
  cores: number
  kernel: string
  memoryGb: number
  gitCommit: string
}

export function machine (): Machine {
  const list = cpus()
  return {
    date: new Date().toISOString(),
    node: process.version,
    fastify: version('fastify'),
    undici: version('undici'),
    autocannon: version('autocannon'),
    cpuModel: list[0]?.model ?? 'unknown',
    cores: list.length,
    kernel: release(),
    memoryGb: Math.round(totalmem() / 2 ** 30),
    gitCommit: git('rev-parse', '--short', 'HEAD')
  }
}

/**
 * True for a run of the standard plan: not a quick run, and none of `overrides` set (a named
 * output, another build, a subset of the scenarios, a changed plan or service flags).
 */
export function isStandardRun (overrides: readonly string[]): boolean {
  return process.env.BENCH_QUICK !== '1' && overrides.every((name) => process.env[name] === undefined)
}

/**
 * Writes a run's data and report under RAW as `<name>.json` and `<name>.md`, and the report as the
 * committed `summary` when one is given. Returns the repository paths written.
 */
export function writeRun (name: string, data: unknown, markdown: string, summary?: string): string[] {
  const written = [rawPath(`${name}.json`), rawPath(`${name}.md`)]
  writeFileSync(written[0] as string, JSON.stringify(data, null, 2) + '\n')
  writeFileSync(written[1] as string, markdown)
  if (summary !== undefined) {
    written.push(`${RESULTS}${summary}`)
    writeFileSync(`${RESULTS}${summary}`, markdown)
  }
  return written.map((path) => path.slice(ROOT.length))
}
