import { spawn } from 'node:child_process'
import t from 'tap'
import { SEED } from '../../src/simulator/seed.js'
import { startSimulator, type Simulator } from '../../src/simulator/server.js'
import { checkedFetch } from '../helpers/contract.js'
import { runServer, type ServerProcess } from '../helpers/process.js'
import { TEST_BILLING_KEY, TEST_RECIPE_ID, processEnv } from '../helpers/stack.js'

const READS = 150
const itemsPath = `/orders/${SEED.mixed.safeId}/items`

/** Resolves with the service's URL the moment it logs that it listens. */
async function listening (server: ServerProcess): Promise<string> {
  let output = ''
  return await new Promise((resolve, reject) => {
    server.child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString()
      const match = /Server listening at (http:\/\/127\.0\.0\.1:[0-9]+)/.exec(output)
      if (match !== null) resolve(match[1] as string)
    })
    server.child.once('exit', () => { reject(new Error(`server exited: ${server.stderr.join('')}`)) })
  })
}

/**
 * A fresh service process with the default OVERLOAD_MAX_EVENT_LOOP_DELAY_MS, read from the moment it
 * listens: its readiness probe, then sequential reads with a readiness probe every 25. Returns how
 * many answers had each status and code.
 */
async function readFromStart (t: { teardown: (fn: () => unknown) => void }, sim: Simulator, atListen: () => void = () => {}): Promise<Record<string, number>> {
  const server = runServer(processEnv(sim.url))
  t.teardown(() => { server.child.kill('SIGKILL') })
  const url = await listening(server)
  atListen()
  const answers: Record<string, number> = {}
  const count = async (path: string): Promise<void> => {
    const response = await checkedFetch(`${url}${path}`)
    const { code } = await response.json() as { code?: string }
    const key = `${response.status}${code === undefined ? '' : ` ${code}`}`
    answers[key] = (answers[key] ?? 0) + 1
  }
  await count('/health/ready')
  for (let read = 1; read <= READS; read++) {
    await count(itemsPath)
    if (read % 25 === 0) await count('/health/ready')
  }
  return answers
}

const EXPECTED = { 200: READS + 1 + READS / 25 }

t.test('fresh start: no request is shed as overloaded', async (t) => {
  const sim = await startSimulator({ recipeId: TEST_RECIPE_ID, partnerBillingKey: TEST_BILLING_KEY })
  t.teardown(async () => await sim.close())
  t.same(await readFromStart(t, sim), EXPECTED)
})

t.test('fresh start while two busy-loop processes hog both cores: no request is shed as overloaded', async (t) => {
  // The hogs start the moment the service listens and stop after the reads: the reads right after
  // start meet the contention, and the test files tap runs alongside meet it for those seconds only.
  const hogs: ReturnType<typeof spawn>[] = []
  const stopHogs = (): void => { for (const hog of hogs) hog.kill('SIGKILL') }
  t.teardown(stopHogs)
  const sim = await startSimulator({ recipeId: TEST_RECIPE_ID, partnerBillingKey: TEST_BILLING_KEY })
  t.teardown(async () => await sim.close())
  const answers = await readFromStart(t, sim, () => {
    for (let core = 0; core < 2; core++) hogs.push(spawn(process.execPath, ['-e', 'for(;;){}'], { stdio: 'ignore' }))
  })
  stopHogs()
  t.same(answers, EXPECTED)
})
