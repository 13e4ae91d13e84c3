import { once } from 'node:events'
import { connect, type Socket } from 'node:net'
import { performance } from 'node:perf_hooks'
import t from 'tap'
import { SEED } from '../../src/simulator/seed.js'
import { checkAnswer } from '../helpers/contract.js'
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

interface RawAnswer { status: number, headers: Record<string, string>, text: string }

function rawRequest ({ method, path, body }: { method: string, path: string, body: string }): string {
  const contentHeaders = body === '' ? '' : `content-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n`
  return `${method} ${path} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n${contentHeaders}\r\n${body}`
}

/** Everything the server sends on this socket until it closes it, as one HTTP answer. */
async function answerOf (socket: Socket): Promise<RawAnswer> {
  const chunks: Buffer[] = []
  socket.on('data', (chunk: Buffer) => chunks.push(chunk))
  await once(socket, 'end')
  const raw = Buffer.concat(chunks).toString('utf8')
  const split = raw.indexOf('\r\n\r\n')
  const [statusLine = '', ...headerLines] = raw.slice(0, split).split('\r\n')
  const headers = Object.fromEntries(headerLines.map((line) => {
    const colon = line.indexOf(':')
    return [line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim()]
  }))
  return { status: Number(statusLine.split(' ')[1]), headers, text: raw.slice(split + 4) }
}

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
  const { port } = new URL(url)
  const sockets = REQUESTS.map(() => connect(Number(port), '127.0.0.1'))
  await Promise.all(sockets.map(async (socket) => await once(socket, 'connect')))
  const answers = sockets.map(async (socket) => await answerOf(socket))
  sockets.forEach((socket, i) => socket.write(rawRequest(REQUESTS[i] as typeof REQUESTS[number])))
  blockEventLoop(blockMs)
  const received = await Promise.all(answers)
  return Object.fromEntries(REQUESTS.map(({ name, method, path }, i) => {
    const answer = received[i] as RawAnswer
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

  // A shed request must end at its 503: had its route run behind it, Gooten would see the calls.
  await new Promise((resolve) => setTimeout(resolve, 200))
  t.equal(sim.callCount('getOrder'), 0, 'no lookup behind the 503s')
  t.equal(sim.callCount('cancelItems'), 0, 'no cancel behind the 503')
  t.same(logs.lines.filter((line) => line.level === 40 || line.level === 50).map((line) => line.msg), [], 'no warning or error logged (a route running behind its 503 logs "Reply was already sent")')

  // The next normal window ends the shedding.
  let read = await call(url, itemsPath)
  for (let attempt = 0; attempt < 50 && read.status !== 200; attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 20))
    read = await call(url, itemsPath)
  }
  t.equal(read.status, 200, 'served again after the block')
  t.equal(sim.callCount('getOrder'), 1, 'one lookup, for the read that was served')
  t.equal((await call(url, '/health/ready')).status, 200)
  t.equal((await call(url, cancelPath(demo.safeId), { body: { itemIds: [demo.items.new] } })).status, 200)
})

t.test('OVERLOAD_MAX_EVENT_LOOP_DELAY_MS=0: the same block sheds nothing', async (t) => {
  const { url, sim } = await startStack(t, { env: { OVERLOAD_MAX_EVENT_LOOP_DELAY_MS: '0' } })
  const answers = await sendDuringBlock(url, 1000)
  t.same(Object.fromEntries(Object.entries(answers).map(([name, answer]) => [name, answer.status])), { read: 200, cancel: 200, readiness: 200, liveness: 200 })
  t.equal(sim.callCount('cancelItems'), 1)
})
