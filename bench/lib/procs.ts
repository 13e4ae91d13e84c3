// Processes under test: the simulator, the service and the bare-proxy floor, each spawned pinned
// to a core, and what /proc says about them (CPU time, RSS) and about the machine (busy time per
// core); the service's log lines, counted.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { existsSync, openSync, closeSync, readFileSync, ftruncateSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { cpus } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'

export const RECIPE_ID = 'sim-recipe-id'
export const BILLING_KEY = 'sim+billing/key=='
/** Query string every direct Gooten call carries, with the billing key percent-encoded. */
export const CREDENTIALS = `recipeid=${encodeURIComponent(RECIPE_ID)}&partnerBillingKey=${encodeURIComponent(BILLING_KEY)}`

const CLK_TCK = 100

function which (command: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    const candidate = join(dir, command)
    if (dir !== '' && existsSync(candidate)) return candidate
  }
  return undefined
}

const TASKSET = which('taskset')
const CORES = cpus().length
export const pinning = TASKSET !== undefined && CORES >= 2

/** Core `n`, or undefined when processes are not pinned. */
export function core (n: number): number | undefined {
  return pinning ? n % CORES : undefined
}

/** Moves every thread of this process (autocannon runs here) to one core. */
export function pinSelf (cpu: number | undefined): void {
  if (cpu === undefined || TASKSET === undefined) return
  execFileSync(TASKSET, ['-a', '-p', '-c', String(cpu), String(process.pid)], { stdio: 'ignore' })
}

export interface Managed {
  name: string
  child: ChildProcess
  pid: number
  logFile: string
  /** Empties the log file (the child appends, so it keeps writing at the new end). */
  truncateLog: () => void
  stop: () => Promise<void>
}

export function spawnPinned (name: string, cpu: number | undefined, nodeArgs: string[], env: Record<string, string>, logFile: string): Managed {
  writeFileSync(logFile, '')
  // Opened for appending: after truncateLog() the child's next write lands at the new end, not at
  // its old offset behind a hole of NUL bytes.
  const fd = openSync(logFile, 'a')
  const command = cpu === undefined ? process.execPath : TASKSET as string
  const args = cpu === undefined ? nodeArgs : ['-c', String(cpu), process.execPath, ...nodeArgs]
  // A clean environment: nothing of the caller's shell (PORT, LOG_LEVEL, npm_*) leaks in.
  const child = spawn(command, args, { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', fd, fd] })
  closeSync(fd)
  if (child.pid === undefined) throw new Error(`could not start ${name}`)
  let exited = false
  let stopping = false
  child.once('exit', (code, signal) => {
    exited = true
    // Said at once: the run then fails on the missing process, and this says why.
    if (!stopping) process.stderr.write(`bench: ${name} (pid ${String(child.pid)}) exited unexpectedly (${signal ?? `code ${String(code)}`}); see ${logFile}\n`)
  })
  return {
    name,
    child,
    pid: child.pid,
    logFile,
    truncateLog: () => {
      const handle = openSync(logFile, 'r+')
      try { ftruncateSync(handle, 0) } finally { closeSync(handle) }
    },
    stop: async () => {
      if (exited) return
      stopping = true
      const done = new Promise<void>((resolve) => child.once('exit', () => resolve()))
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000)
      await done
      clearTimeout(timer)
    }
  }
}

/** Throws when something already listens on the port: a bench started beside another on the same ports would measure the other's processes. */
export async function assertPortFree (port: number): Promise<void> {
  const inUse = await new Promise<boolean>((resolve) => {
    const socket = connect({ host: '127.0.0.1', port })
    socket.once('connect', () => { socket.destroy(); resolve(true) })
    socket.once('error', () => resolve(false))
  })
  if (inUse) throw new Error(`port ${port} on 127.0.0.1 is in use (another benchmark running?)`)
}

export async function waitUntilOk (url: string, proc: Managed): Promise<void> {
  for (let attempt = 0; attempt < 300; attempt++) {
    if (proc.child.exitCode !== null) throw new Error(`${proc.name} exited with code ${proc.child.exitCode}; see ${proc.logFile}`)
    try {
      if ((await fetch(url)).ok) return
    } catch {
      // not listening yet
    }
    await sleep(50)
  }
  throw new Error(`${url} did not answer 200 within 15 s; see ${proc.logFile}`)
}

/** utime + stime of a process, in milliseconds. */
export function cpuMs (pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) * 1000 / CLK_TCK
}

/** CPU time of this process, in milliseconds. */
export function selfCpuMs (): number {
  const usage = process.cpuUsage()
  return (usage.user + usage.system) / 1000
}

function statusKb (pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)
  return match === null ? 0 : Number(match[1])
}

export const rssMb = (pid: number): number => statusKb(pid, 'VmRSS') / 1024
export const peakRssMb = (pid: number): number => statusKb(pid, 'VmHWM') / 1024

/** Busy and total jiffies of each core, from /proc/stat. */
export function coreTimes (): Array<{ busy: number, total: number }> {
  const lines = readFileSync('/proc/stat', 'utf8').split('\n').filter((line) => /^cpu\d+ /.test(line))
  return lines.map((line) => {
    const [user, nice, system, idle, iowait, irq, softirq, steal] = line.split(/\s+/).slice(1, 9).map(Number) as number[]
    const busy = (user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)
    return { busy, total: busy + (idle ?? 0) + (iowait ?? 0) }
  })
}

const LEVELS: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' }

export interface LogCounts {
  warn: number
  /** Error and fatal. */
  error: number
  /** Lines by level and message, e.g. `info: request finished`. */
  lines: Record<string, number>
  /** Distinct request ids (`reqId`) among the lines: the requests they tell of, aborted ones included. */
  requests: number
}

/** The lines of a pino log file, counted by level and by level and message. */
export function countLogLines (file: string): LogCounts {
  const counts: LogCounts = { warn: 0, error: 0, lines: {}, requests: 0 }
  const requests = new Set<string>()
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch {
    return counts
  }
  for (const line of text.split('\n')) {
    if (line === '') continue
    let entry: { level?: number, msg?: string, reqId?: string }
    try {
      entry = JSON.parse(line) as { level?: number, msg?: string, reqId?: string }
    } catch {
      entry = { msg: line.slice(0, 80) }
    }
    if (typeof entry.reqId === 'string') requests.add(entry.reqId)
    const level = LEVELS[entry.level ?? 0] ?? 'unparsed'
    const key = `${level}: ${entry.msg ?? ''}`
    counts.lines[key] = (counts.lines[key] ?? 0) + 1
    if (level === 'warn') counts.warn++
    else if (level === 'error' || level === 'fatal') counts.error++
  }
  counts.requests = requests.size
  return counts
}

/** What the machine is doing now besides us: busy cores not accounted for by the given processes. */
export async function foreignLoad (pids: number[], ms = 1000): Promise<number> {
  const before = coreTimes()
  const ours = pids.map(cpuMs)
  const self = selfCpuMs()
  await sleep(ms)
  const after = coreTimes()
  const busyMs = after.reduce((sum, c, i) => sum + c.busy - (before[i]?.busy ?? 0), 0) * 1000 / CLK_TCK
  const oursMs = pids.reduce((sum, pid, i) => sum + cpuMs(pid) - (ours[i] ?? 0), 0) + selfCpuMs() - self
  return Math.max(0, (busyMs - oursMs) / ms)
}
