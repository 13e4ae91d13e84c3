import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

const serverEntry = fileURLToPath(new URL('../../src/server.ts', import.meta.url))

export interface ServerProcess {
  child: ChildProcess
  stdout: string[]
  stderr: string[]
}

/** Loaded before the service, it lists every module the process resolves (see moduleProbe below). */
const probeEntry = fileURLToPath(new URL('module-probe/register.mjs', import.meta.url))

/** Node flags for runServer: list every module URL the process resolves into `file`. */
export const moduleProbe = (file: string): { nodeArgs: string[], env: Record<string, string> } =>
  ({ nodeArgs: ['--import', probeEntry], env: { MODULE_PROBE_FILE: file } })

/** Runs src/server.ts in its own process, with the loaders (and coverage) of this test process. */
export function runServer (env: Record<string, string>, { nodeArgs = [] }: { nodeArgs?: string[] } = {}): ServerProcess {
  const child = spawn(process.execPath, [...process.execArgv, ...nodeArgs, serverEntry], {
    env: { PATH: process.env.PATH ?? '', NODE_OPTIONS: process.env.NODE_OPTIONS ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  const stdout: string[] = []
  const stderr: string[] = []
  // Whole lines, however the pipe splits them. Read them after the child's 'close', not its 'exit':
  // its output may still be arriving when it exits.
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => { if (line !== '') stdout.push(line) })
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => stderr.push(chunk))
  return { child, stdout, stderr }
}

/** The URL the server logged once listening (ts-node compiles on first start, which is slow; slower on a busy machine). */
export async function listeningUrl (server: ServerProcess, { withinMs = 60_000 }: { withinMs?: number } = {}): Promise<string> {
  for (let i = 0; i < withinMs / 25; i++) {
    for (const line of server.stdout) {
      const match = /Server listening at (http:\/\/127\.0\.0\.1:[0-9]+)/.exec(line)
      if (match !== null) return match[1] as string
    }
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
  throw new Error(`server did not start: ${server.stderr.join('')}`)
}
