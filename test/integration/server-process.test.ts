import { once } from 'node:events'
import t from 'tap'
import { startSimulator } from '../../src/simulator/server.js'
import { SEED } from '../../src/simulator/seed.js'
import { checkedFetch } from '../helpers/contract.js'
import { eventually } from '../helpers/eventually.js'
import { listeningUrl, runServer } from '../helpers/process.js'
import { rawClient } from '../helpers/raw-http.js'
import { TEST_BILLING_KEY, TEST_RECIPE_ID, processEnv } from '../helpers/stack.js'

t.test('missing and malformed variables stop the process with exit 1 and one line naming them all', async (t) => {
  const started = runServer({ GOOTEN_PARTNER_BILLING_KEY: 'secret-billing-value', PORT: 'many', API_KEYS: 'support' })
  const [code] = await once(started.child, 'close') as [number]
  t.equal(code, 1)
  t.equal(started.stderr.join(''), 'Invalid configuration: GOOTEN_RECIPE_ID is required (or GOOTEN_RECIPE_ID_FILE); PORT must be integer; API_KEYS must be a list of name:key[:ro], separated by commas or lines (a name of letters, digits, . _ or -, and a key of 16 to 256 visible characters without ":" or ",")\n')
})

t.test('a malformed variable is named, its value never printed', async (t) => {
  const started = runServer({ GOOTEN_RECIPE_ID: 'r', GOOTEN_PARTNER_BILLING_KEY: 'k', GOOTEN_BASE_URL: 'http://secret-host.example/?partnerBillingKey=shh' })
  const [code] = await once(started.child, 'close') as [number]
  t.equal(code, 1)
  const output = started.stderr.join('')
  t.match(output, /^Invalid configuration: GOOTEN_BASE_URL .+\n$/)
  t.notMatch(output, /secret-host|shh/)
})

t.test('serves against Gooten, warns without caller keys, and drains on SIGTERM', async (t) => {
  const sim = await startSimulator({ recipeId: TEST_RECIPE_ID, partnerBillingKey: TEST_BILLING_KEY })
  t.teardown(async () => await sim.close())
  const started = runServer(processEnv(sim.url))
  t.teardown(() => { started.child.kill('SIGKILL') })
  const url = await listeningUrl(started)
  t.ok(started.stdout.some((line) => line.includes('API_KEYS is not set')), 'warns that callers are not authenticated')

  // A slow Gooten keeps a cancel and 19 reads in flight while the signal arrives.
  sim.enqueueFault([{ kind: 'delay', op: 'getOrder', ms: 600, times: 20 }])
  const cancel = checkedFetch(`${url}/orders/${SEED.demo.safeId}/items/cancel`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ itemIds: [SEED.demo.items.new] })
  })
  const reads = Array.from({ length: 19 }, async () => await checkedFetch(`${url}/orders/${SEED.mixed.safeId}/items`))
  await eventually('all 20 requests to reach Gooten before the signal', () => sim.callCount('getOrder') === 20)
  started.child.kill('SIGTERM')
  await eventually('the shutdown to begin', () => started.stdout.some((line) => line.includes('"signal":"SIGTERM"')))
  const late = await checkedFetch(`${url}/orders/${SEED.mixed.safeId}/items`)
  t.equal(late.status, 503, 'a request arriving while draining is turned away')
  t.equal(((await late.json()) as { code: string }).code, 'NOT_READY')
  const answered = await Promise.all([cancel, ...reads])
  t.same(answered.map((response) => response.status), Array.from({ length: 20 }, () => 200), 'all 20 in-flight requests finished')
  t.equal(((await answered[0]?.json()) as { outcome: string }).outcome, 'cancelled')
  const [code, signal] = await once(started.child, 'close') as [number, string]
  t.same({ code, signal }, { code: 0, signal: null }, started.stderr.join(''))
  t.ok(started.stdout.some((line) => line.includes('"signal":"SIGTERM"')), 'logged the shutdown')
})

t.test('SIGTERM turns away a client whose body stalled, finishes real work and exits 0 without waiting for stalled clients', async (t) => {
  const sim = await startSimulator({ recipeId: TEST_RECIPE_ID, partnerBillingKey: TEST_BILLING_KEY })
  t.teardown(async () => await sim.close())
  // Long enough that running into it would be obvious; the request timeout (10 s) is left as shipped.
  const shutdownTimeoutMs = 60_000
  const started = runServer(processEnv(sim.url, {
    SHUTDOWN_TIMEOUT_MS: String(shutdownTimeoutMs),
    OVERLOAD_MAX_EVENT_LOOP_DELAY_MS: '0'
  }))
  t.teardown(() => { started.child.kill('SIGKILL') })
  const url = await listeningUrl(started)

  // One byte of a 1000-byte body, then silence; and a header block that never ends.
  const stalledBody = rawClient(url, `POST /orders/${SEED.demo.safeId}/items/cancel HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{`)
  const stalledHead = rawClient(url, 'GET /health/live HTTP/1.1\r\nHost: x\r\n')
  sim.enqueueFault([{ kind: 'delay', op: 'getOrder', ms: 1000, times: 1 }])
  let readAnswered = false
  const read = checkedFetch(`${url}/orders/${SEED.mixed.safeId}/items`).then((response) => { readAnswered = true; return response })
  await eventually('the read to reach Gooten', () => sim.callCount('getOrder') === 1)
  t.equal(sim.callCount('getOrder'), 1, 'the read reached Gooten before the signal')

  const signalledAt = Date.now()
  started.child.kill('SIGTERM')
  const exited = once(started.child, 'close') as Promise<[number | null, string | null]>
  await stalledBody.closed
  t.notOk(readAnswered, 'the stalled client was answered while the read was still at Gooten')
  const [head = '', body = ''] = stalledBody.received().split('\r\n\r\n')
  t.match(head, /^HTTP\/1\.1 503 /, 'the stalled client got a 503')
  t.match(head, /\r\ncontent-type: application\/problem\+json; charset=utf-8\r\n/i)
  t.match(head, /\r\nconnection: close\r\n/i)
  t.equal((JSON.parse(body) as { code: string }).code, 'NOT_READY')

  const answer = await read
  t.equal(answer.status, 200, 'the read in flight finished')
  await stalledHead.closed
  t.equal(stalledHead.received(), '', 'the header block was closed at shutdown, not timed out with a 408')
  const [code, signal] = await exited
  t.same({ code, signal }, { code: 0, signal: null }, started.stderr.join(''))
  t.ok(Date.now() - signalledAt < shutdownTimeoutMs, 'exited before the grace period ran out')
  t.equal(sim.callCount('cancelItems'), 0, 'the stalled request never reached a route')
  const logged = started.stdout.map((line) => JSON.parse(line) as { level: number, msg: string })
  t.same(logged.filter((line) => line.level >= 40).map((line) => line.msg), ['API_KEYS is not set (nor API_KEYS_FILE or OIDC_ISSUER): /orders routes accept every caller without authentication', 'shutting down'],
    'no other warning or error (no "Reply was already sent")')
})
