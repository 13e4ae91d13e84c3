import { hasSubscribers } from 'node:diagnostics_channel'
import { once } from 'node:events'
import { mkdtemp, readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { buildApp } from '../../src/app.js'
import { SEED } from '../../src/simulator/seed.js'
import { startSimulator } from '../../src/simulator/server.js'
import { startOtlpReceiver } from '../helpers/otlp.js'
import { listeningUrl, moduleProbe, runServer } from '../helpers/process.js'
import { call, cancelPath, LogCapture, startStack, testConfig, TEST_BILLING_KEY, TEST_RECIPE_ID, processEnv } from '../helpers/stack.js'

// Tracing off (the default) costs nothing: no OpenTelemetry module is loaded, and the app has no
// tracing plugin, hook, request decorator or diagnostics-channel subscriber.

const { demo } = SEED
const UNDICI_REQUEST_CHANNEL = 'undici:request:create'
const TRACING_CODE = /\/node_modules\/@opentelemetry\/|\/node_modules\/@fastify\/otel\/|\/src\/telemetry\//

t.test('the default process never loads an OpenTelemetry module, and its log lines carry no trace ids', async (t) => {
  const sim = await startSimulator({ recipeId: TEST_RECIPE_ID, partnerBillingKey: TEST_BILLING_KEY })
  t.teardown(async () => await sim.close())
  const probeFile = join(await mkdtemp(join(tmpdir(), 'otel-probe-')), 'modules.txt')
  const probe = moduleProbe(probeFile)
  const server = runServer(processEnv(sim.url, {
    ...probe.env,
    // Present but not enabling: a traces exporter of `none` wins over an endpoint.
    OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9',
    OTEL_TRACES_EXPORTER: 'none'
  }), { nodeArgs: probe.nodeArgs })
  t.teardown(() => { server.child.kill('SIGKILL') })
  const url = await listeningUrl(server)
  const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'
  t.equal((await call(url, cancelPath(demo.safeId), { body: { itemIds: [demo.items.new] }, headers: { traceparent } })).status, 200)
  server.child.kill('SIGTERM')
  const [code] = await once(server.child, 'close') as [number]
  t.equal(code, 0)

  const modules = (await readFile(probeFile, 'utf8')).split('\n').filter(Boolean)
  t.ok(modules.some((module) => module.endsWith('/src/app.ts')) && modules.some((module) => module.includes('/node_modules/fastify/')), 'the probe saw the service load')
  t.same(modules.filter((module) => TRACING_CODE.test(module)), [], 'no OpenTelemetry module, no src/telemetry file')
  const lines = server.stdout.map((line) => JSON.parse(line) as Record<string, unknown>)
  t.ok(lines.some((line) => line.msg === 'request finished' && Array.isArray(line.upstream)), 'the access line, with its Gooten calls')
  t.notOk(lines.some((line) => 'trace_id' in line || 'span_id' in line), 'no line carries a trace id, even for a caller that sent one')
})

t.test('the default app has no tracing plugin, hook, decorator or channel subscriber; a traced app has them all', async (t) => {
  const { app, url, logs } = await startStack(t)
  t.equal((await call(url, cancelPath(demo.safeId), { body: { itemIds: [demo.items.new] } })).status, 200)
  t.notOk(app.hasPlugin('tracing'), 'no tracing plugin')
  t.notOk(app.hasPlugin('@fastify/otel'), 'no @fastify/otel')
  t.notOk(app.hasRequestDecorator('opentelemetry'), 'no request decorator')
  t.notOk(hasSubscribers(UNDICI_REQUEST_CHANNEL), 'nothing listens to undici\'s request channel: a Gooten call does no tracing work')
  t.notOk(logs.lines.some((line) => 'trace_id' in line))

  // The same checks see tracing when it is on, so the ones above can fail.
  const otlp = await startOtlpReceiver()
  t.teardown(async () => await otlp.close())
  // The exporter reads its endpoint from the environment too; the test leaves it as it found it.
  const endpointBefore = process.env.OTEL_EXPORTER_OTLP_ENDPOINT
  t.teardown(() => {
    if (endpointBefore === undefined) delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT
    else process.env.OTEL_EXPORTER_OTLP_ENDPOINT = endpointBefore
  })
  process.env.OTEL_EXPORTER_OTLP_ENDPOINT = otlp.url
  const config = testConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url })
  t.same(config.tracing, { protocol: 'http/protobuf' })
  const { startTracing } = await import('../../src/telemetry/sdk.js')
  const tracing = startTracing(config, { protocol: 'http/protobuf' })
  const tracedLogs = new LogCapture()
  const traced = await buildApp({ config, logStream: tracedLogs.stream, tracing: tracing.hooks })
  t.teardown(async () => { await traced.close(); await tracing.shutdown(1000) })
  await traced.ready()
  t.ok(traced.hasPlugin('tracing') && traced.hasPlugin('@fastify/otel') && traced.hasRequestDecorator('opentelemetry'), 'the traced app has them')
  t.ok(hasSubscribers(UNDICI_REQUEST_CHANNEL), 'and undici\'s channel has a subscriber')
  const answer = await traced.inject({ method: 'GET', url: '/orders/13-0a6e2f5c/items', headers: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' } })
  t.equal(answer.statusCode, 503, 'Gooten (port 9) is unreachable')
  t.ok(tracedLogs.lines.filter((line) => line.msg === 'request finished').every((line) => line.trace_id === '0af7651916cd43dd8448eb211c80319c'), 'its lines carry the trace id')
})
