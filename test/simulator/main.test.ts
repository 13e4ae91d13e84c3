import t from 'tap'
import { spawn } from 'node:child_process'
import type { ChildProcessByStdio } from 'node:child_process'
import type { Readable } from 'node:stream'
import { fileURLToPath } from 'node:url'
import { SEED } from '../../src/simulator/seed.js'

const main = fileURLToPath(new URL('../../src/simulator/main.ts', import.meta.url))
// Run the child with this test's own TypeScript loader (tap's), so its
// coverage of main.ts merges with the in-process coverage of the rest.
const nodeArgs = [...process.execArgv, main]

const LISTENING = /^gooten simulator listening on (http:\/\/127\.0\.0\.1:(\d+))\n$/

interface Started {
  child: ChildProcessByStdio<null, Readable, null>
  line: string
  exited: Promise<number | null>
}

async function start (env: Record<string, string>): Promise<Started> {
  const child = spawn(process.execPath, nodeArgs, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] })
  const exited = new Promise<number | null>(resolve => child.once('exit', code => resolve(code)))
  const line = await new Promise<string>(resolve => {
    let out = ''
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString()
      if (out.includes('\n')) resolve(out)
    })
  })
  return { child, line, exited }
}

t.test('main.ts: starts from env, prints its url, serves, stops on SIGTERM or SIGINT', async t => {
  // Both children start at once (each takes a few seconds to load TypeScript), on ports the system picks.
  const [a, b] = await Promise.all([
    start({ SIM_PORT: '0', GOOTEN_RECIPE_ID: 'env-recipe', GOOTEN_PARTNER_BILLING_KEY: 'e+n/v=' }),
    start({ SIM_PORT: '0' })
  ])
  const [, urlA = '', portA = ''] = LISTENING.exec(a.line) ?? []
  const [, , portB = ''] = LISTENING.exec(b.line) ?? []
  t.ok(Number(portA) > 0 && Number(portB) > 0, `each prints the address it bound: ${a.line}${b.line}`)
  t.not(portA, portB)
  const res = await fetch(`${urlA}/api/orderCancel?orderId=${SEED.demo.gootenId}&recipeid=env-recipe&partnerBillingKey=${encodeURIComponent('e+n/v=')}`, {
    method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ Ids: [SEED.demo.items.new] })
  })
  t.same(await res.json(), { HadError: false, Errors: [], Success: [SEED.demo.items.new] })
  a.child.kill('SIGTERM')
  b.child.kill('SIGINT')
  t.same(await Promise.all([a.exited, b.exited]), [0, 0], 'clean exits')
})
