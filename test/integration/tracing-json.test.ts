import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import t from 'tap'
import { SEED } from '../../src/simulator/seed.js'
import { startSimulator } from '../../src/simulator/server.js'
import { eventually } from '../helpers/eventually.js'
import { startOtlpReceiver } from '../helpers/otlp.js'
import { listeningUrl, runServer } from '../helpers/process.js'
import { call, cancelPath, TEST_BILLING_KEY, TEST_RECIPE_ID, processEnv } from '../helpers/stack.js'

// OTLP/HTTP JSON, exported as the batches fill (50 ms), to a traces endpoint given as is; then a
// collector that stops answering must not hold the shutdown past its grace period.

const { demo } = SEED

t.test('http/json: spans arrive while serving; a silent collector does not hold the exit', async (t) => {
  const sim = await startSimulator({ recipeId: TEST_RECIPE_ID, partnerBillingKey: TEST_BILLING_KEY })
  const otlp = await startOtlpReceiver()
  t.teardown(async () => { await otlp.close(); await sim.close() })
  const server = runServer(processEnv(sim.url, {
    SHUTDOWN_TIMEOUT_MS: '1500',
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${otlp.url}/collector/traces`,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    OTEL_BSP_SCHEDULE_DELAY: '50'
  }))
  t.teardown(() => { server.child.kill('SIGKILL') })
  const url = await listeningUrl(server)

  const traceId = randomBytes(16).toString('hex')
  const answer = await call(url, cancelPath(demo.safeId), { body: { itemIds: [demo.items.new] }, headers: { traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` } })
  t.equal(answer.status, 200)
  await eventually('the cancel\'s spans to be exported', () => otlp.spans().some((span) => span.traceId === traceId && span.kind === 2))
  t.ok(otlp.exports.every((received) => received.path === '/collector/traces' && received.contentType === 'application/json'), 'OTLP/HTTP JSON, to the traces endpoint as given')

  const spans = otlp.spans().filter((span) => span.traceId === traceId)
  const request = spans.find((span) => span.kind === 2)
  const cancel = spans.find((span) => span.name === 'gooten cancelItems')
  t.match(cancel?.attributes, { 'gooten.op': 'cancelItems', 'gooten.attempt': 1, 'http.response.status_code': 200, 'gooten.outcome': 'ok' })
  const handler = spans.find((span) => span.spanId === cancel?.parentSpanId)
  t.equal(handler?.parentSpanId, request?.spanId, 'the attempt is under the request, through its handler span')
  t.match(spans.find((span) => span.parentSpanId === cancel?.spanId)?.attributes, { 'url.query': `?orderId=${demo.gootenId}&recipeid=REDACTED&partnerBillingKey=REDACTED` })
  // JSON escapes only quotes, backslashes and control characters, none of which the secrets hold:
  // a secret that was exported would appear in these bytes exactly as in protobuf's.
  const exported = Buffer.concat(otlp.exports.map((received) => received.wire)).toString('utf8')
  for (const secret of [TEST_RECIPE_ID, TEST_BILLING_KEY, encodeURIComponent(TEST_BILLING_KEY)]) t.notOk(exported.includes(secret), `never exported: ${secret.slice(0, 10)}…`)

  otlp.hang = true
  const before = otlp.exports.length
  await call(url, `/orders/${demo.safeId}/items`)
  await eventually('an export the collector leaves unanswered', () => otlp.exports.length > before)
  server.child.kill('SIGTERM')
  const [code, signal] = await once(server.child, 'close') as [number, string | null]
  t.same({ code, signal }, { code: 0, signal: null }, `the flush gives up in time and the exit is clean: ${server.stderr.join('')}`)
})

t.test('a collector that refuses the last spans, or cannot be reached, still leaves a clean exit and says so once', async (t) => {
  const sim = await startSimulator({ recipeId: TEST_RECIPE_ID, partnerBillingKey: TEST_BILLING_KEY })
  const otlp = await startOtlpReceiver()
  t.teardown(async () => { await sim.close() })
  const unreachable = await startOtlpReceiver()
  const unreachableUrl = unreachable.url
  await unreachable.close()
  for (const [collector, endpoint] of [['refusing', otlp.url], ['unreachable', unreachableUrl]] as const) {
    const server = runServer(processEnv(sim.url, {
      SHUTDOWN_TIMEOUT_MS: '3000',
      OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
      // Nothing leaves before SIGTERM: the shutdown's flush is the export that fails.
      OTEL_BSP_SCHEDULE_DELAY: '60000'
    }))
    t.teardown(() => { server.child.kill('SIGKILL') })
    const url = await listeningUrl(server)
    otlp.refuse = true
    t.equal((await call(url, `/orders/${demo.safeId}/items`)).status, 200, `${collector}: a traced read`)
    server.child.kill('SIGTERM')
    const [code, signal] = await once(server.child, 'close') as [number, string | null]
    t.same({ code, signal }, { code: 0, signal: null }, `${collector}: exit 0`)
    t.equal(server.stdout.filter((line) => line.includes('the last spans could not be exported')).length, 1, `${collector}: one warning`)
    t.equal(server.stderr.join(''), '', `${collector}: no stack trace`)
  }
  await otlp.close()
  t.ok(otlp.exports.length > 0, 'the refused export did reach the refusing collector')
})
