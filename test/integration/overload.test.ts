import { performance } from 'node:perf_hooks'
import t from 'tap'
import { SEED } from '../../src/simulator/seed.js'
import { checkAnswer } from '../helpers/contract.js'
import { eventually } from '../helpers/eventually.js'
import { answerIn, rawConnection, type RawClient } from '../helpers/raw-http.js'
import { call, cancelPath, startStack } from '../helpers/stack.js'

const { demo } = SEED
const itemsPath = `/orders/${demo.safeId}/items`
const cancelBody = JSON.stringify({ itemIds: [demo.items.new] })

// One request per connection, so no answer waits behind another on its socket.
const REQUESTS = [
  { name: 'read', method: 'GET', path: itemsPath, body: '' },
  { name: 'cancel', method: 'POST', path: cancelPath(demo.safeId), body: cancelBody },
  { name: 'readiness', method: 'GET', path: '/health/ready', body: '' },
  { name: 'liveness', method: 'GET', path: '/health/live', body: '' }
]

function rawRequest ({ method, path, body }: { method: string, path: string, body: string }): string {
  const contentHeaders = body === '' ? '' : `content-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n`
  return `${method} ${path} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n${contentHeaders}\r\n${body}`
}

type RawAnswer = ReturnType<typeof answerIn>

/** A synchronous stretch of our own code, as a CPU-heavy bug or a huge JSON.parse would be. */
function blockEventLoop (ms: number): void {
  const until = performance.now() + ms
  while (performance.now() < until) { /* busy */ }
}

/**
 * Connects one socket per request, sends the requests complete, then blocks this process's loop
 * (which is also the service's) for `blockMs`: the requests wait in the kernel meanwhile.
 */
async function sendDuringBlock (url: string, blockMs: number): Promise<Record<string, RawAnswer>> {
  const clients = REQUESTS.map(() => rawConnection(url))
  await Promise.all(clients.map(async (client) => await client.connected))
  clients.forEach((client, i) => client.send(rawRequest(REQUESTS[i] as typeof REQUESTS[number])))
  blockEventLoop(blockMs)
  await Promise.all(clients.map(async (client) => await client.closed))
  return Object.fromEntries(REQUESTS.map(({ name, method, path }, i) => {
    const answer = answerIn((clients[i] as RawClient).received())
    // Every answer must be one the OpenAPI document allows.
    checkAnswer({ method, path, status: answer.status, headers: answer.headers, text: answer.text })
    return [name, answer]
  }))
}

t.test('a loop blocked well beyond the threshold sheds what queued behind it, reaches nothing upstream, and recovers', async (t) => {
  const { url, sim, logs } = await startStack(t, { env: { OVERLOAD_MAX_EVENT_LOOP_DELAY_MS: '200' } })
  const answers = await sendDuringBlock(url, 1000)
  for (const name of ['read', 'cancel', 'readiness']) {
    const answer = answers[name] as RawAnswer
    t.equal(answer.status, 503, name)
    t.equal(answer.headers['content-type'], 'application/problem+json; charset=utf-8', name)
    t.equal(answer.headers['retry-after'], '1', name)
    t.equal((JSON.parse(answer.text) as { code: string }).code, 'SERVICE_OVERLOADED', name)
  }
  t.equal(answers.liveness?.status, 200, 'liveness is never shed: a busy process is not a dead one')

  // The next normal window ends the shedding.
  await eventually('a read to be served again after the block', async () => (await call(url, itemsPath)).status === 200)
  // A shed request must end at its 503: had its route run behind it, Gooten would have seen its calls
  // before the read above, which came later on the same loop.
  t.equal(sim.callCount('getOrder'), 1, 'one lookup, for the read that was served')
  t.equal(sim.callCount('cancelItems'), 0, 'no cancel behind the 503')
  t.same(logs.lines.filter((line) => line.level === 40 || line.level === 50).map((line) => line.msg), [], 'no warning or error logged (a route running behind its 503 logs "Reply was already sent")')
  // A loaded machine can delay this loop past the threshold again: each is asked until it is served.
  await eventually('readiness to answer 200 again', async () => (await call(url, '/health/ready')).status === 200)
  await eventually('a cancel to be served again', async () => (await call(url, cancelPath(demo.safeId), { body: { itemIds: [demo.items.new] } })).status === 200)
  t.equal(sim.callCount('cancelItems'), 1, 'one cancel reached Gooten: the shed ones never ran')
})

t.test('OVERLOAD_MAX_EVENT_LOOP_DELAY_MS=0: the same block sheds nothing', async (t) => {
  const { url, sim } = await startStack(t, { env: { OVERLOAD_MAX_EVENT_LOOP_DELAY_MS: '0' } })
  const answers = await sendDuringBlock(url, 1000)
  t.same(Object.fromEntries(Object.entries(answers).map(([name, answer]) => [name, answer.status])), { read: 200, cancel: 200, readiness: 200, liveness: 200 })
  t.equal(sim.callCount('cancelItems'), 1)
})
