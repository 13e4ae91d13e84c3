// `npm run demo`: the Gooten simulator and the service, each in its own process, wired together.
import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { SEED } from './simulator/seed.js'
import { DEFAULT_PARTNER_BILLING_KEY, DEFAULT_RECIPE_ID } from './simulator/server.js'

const servicePort = process.env.PORT ?? '3000'
const simulatorPort = process.env.SIM_PORT ?? '4010'
const service = `http://127.0.0.1:${servicePort}`
const simulator = `http://127.0.0.1:${simulatorPort}`

function start (name: string, entry: string, env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, [fileURLToPath(new URL(entry, import.meta.url))], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit']
  })
  child.stdout?.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n').filter(Boolean)) process.stdout.write(`[${name}] ${line}\n`)
  })
  child.on('exit', (code) => {
    if (!stopping) {
      process.stderr.write(`[demo] ${name} exited (code ${code ?? 'null'}); is port ${name === 'service' ? servicePort : simulatorPort} free?\n`)
      stop(1)
    }
  })
  return child
}

async function waitUntilReady (url: string): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    try {
      if ((await fetch(url)).ok) return
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error(`${url} did not become ready`)
}

let stopping = false
const children: ChildProcess[] = []
function stop (code: number): void {
  stopping = true
  for (const child of children) child.kill('SIGTERM')
  process.exitCode = code
}
process.once('SIGINT', () => stop(0))
process.once('SIGTERM', () => stop(0))

children.push(start('simulator', './simulator/main.js', {
  SIM_PORT: simulatorPort,
  GOOTEN_RECIPE_ID: DEFAULT_RECIPE_ID,
  GOOTEN_PARTNER_BILLING_KEY: DEFAULT_PARTNER_BILLING_KEY
}))
await waitUntilReady(`${simulator}/__sim/stats`)
children.push(start('service', './server.js', {
  GOOTEN_BASE_URL: simulator,
  GOOTEN_RECIPE_ID: DEFAULT_RECIPE_ID,
  GOOTEN_PARTNER_BILLING_KEY: DEFAULT_PARTNER_BILLING_KEY,
  HOST: '127.0.0.1',
  PORT: servicePort,
  LOG_LEVEL: process.env.LOG_LEVEL ?? 'info'
}))
await waitUntilReady(`${service}/health/ready`)

const { demo } = SEED
process.stdout.write(`
gooten-order-proxy demo: the service talks to a built-in Gooten simulator (no credentials needed).

  service      ${service}
  Swagger UI   ${service}/docs
  metrics      ${service}/metrics
  MCP          ${service}/mcp  (for AI assistants: docs/mcp.md)
  simulator    ${simulator}  (seeded orders; state resets when the demo restarts)

Try:
  curl -s ${service}/orders/${demo.safeId}/items

  curl -s -X POST ${service}/orders/${demo.safeId}/items/cancel \\
    -H 'content-type: application/json' \\
    -d '{"itemIds":[${demo.items.new},${demo.items.hold}],"reason":"customer request"}'

Ctrl+C stops both.
`)
