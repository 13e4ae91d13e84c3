// The service with some of its duties switched off, for `npm run bench:ablation` only: it runs the
// real entry (`<dist>/server.js`) after swapping a few of its modules for do-nothing stand-ins with
// Node's in-thread module hooks. Nothing in src knows about it, so no production setting can turn a
// duty off. Usage: node ablated-service.mjs <dist dir> with BENCH_ABLATE=metrics,locks,… (DUTIES).
// Logging and tracing need no stand-in: LOG_LEVEL=silent and the OTEL_* variables switch them.
import { registerHooks } from 'node:module'
import { pathToFileURL } from 'node:url'

/** What BENCH_ABLATE can name; bench/ablation.ts says what each stand-in leaves out. */
const DUTIES = ['metrics', 'locks', 'idempotency', 'rate-limit', 'deadline', 'bulkhead', 'validation', 'serialisation', 'undici-spans', 'trace-log-fields'] as const
type Duty = typeof DUTIES[number]

const STAND_INS: Record<string, string> = {
  metrics: `import fp from 'fastify-plugin'
const nothing = () => {}
// Every counter, gauge and histogram the service calls becomes a no-op, whatever its name.
export default fp(async function metrics (app) {
  // (Fastify reads a decoration's getter and setter to tell an accessor: those stay undefined.)
  app.decorate('metrics', new Proxy({}, { get: (_target, name) => name === 'getter' || name === 'setter' ? undefined : nothing }))
  app.decorateRequest('answerOutcome', undefined)
  app.decorateRequest('answerItems', undefined)
}, { name: 'metrics' })`,
  locks: `const held = { markInDoubt: async () => [], clearInDoubt: async () => {} }
export class InProcessLocks {
  async stamp () { return 0 }
  async run (_key, _since, _until, task) { return await task(false, held) }
}`,
  idempotency: `import fp from 'fastify-plugin'
export default fp(async function idempotency (app) {
  app.decorateRequest('idempotencyClaim', undefined)
}, { name: 'idempotency', dependencies: ['stores', 'problems'] })`,
  'rate-limit': `import fp from 'fastify-plugin'
export default fp(async function rateLimits () {}, { name: 'rate-limit', dependencies: ['stores', 'caller-auth'] })`,
  deadline: `import fp from 'fastify-plugin'
export default fp(async function upstreamDeadline (app) {
  const remainingMs = app.config.upstream.timeoutMs
  // Never passes: the same time left on every read, a signal that never aborts.
  const never = { at: Infinity, remainingMs, signal: new AbortController().signal, earlier () { return never } }
  app.decorateRequest('upstream', undefined)
  app.addHook('preHandler', (request, _reply, done) => {
    request.upstream = { deadline: never, log: request.log, calls: [] }
    done()
  })
  app.decorate('callContext', (request) => request.upstream)
}, { name: 'upstream-deadline' })`,
  bulkhead: `const release = () => {}
export class Bulkhead {
  constructor (maxActive, maxQueued) { this.maxActive = maxActive; this.maxQueued = maxQueued }
  get active () { return 0 }
  acquire () { return release }
}`
}

STAND_INS['undici-spans'] = `export class UndiciInstrumentation {
  setTracerProvider () {}
  setMeterProvider () {}
  getConfig () { return { enabled: true } }
  enable () {}
  disable () {}
}`
STAND_INS['trace-log-fields'] = `import fp from 'fastify-plugin'
export function tracingPlugin (instrumentation) {
  return fp(async function tracing (app) { await app.register(instrumentation.plugin()) }, { name: 'tracing' })
}`

/** Module (under dist) each stand-in replaces. */
const REPLACED: Partial<Record<Duty, string>> = {
  metrics: 'plugins/metrics.js',
  locks: 'stores/locks/in-process.js',
  idempotency: 'plugins/idempotency.js',
  'rate-limit': 'plugins/rate-limit.js',
  deadline: 'plugins/upstream-deadline.js',
  bulkhead: 'gooten/bulkhead.js',
  'trace-log-fields': 'telemetry/tracing-plugin.js'
}

const [distArg] = process.argv.slice(2)
if (distArg === undefined) throw new Error('usage: ablated-service.mjs <dist dir>')
const dist = pathToFileURL(distArg.endsWith('/') ? distArg : `${distArg}/`).href
const off = new Set((process.env.BENCH_ABLATE ?? '').split(',').filter(Boolean))
for (const name of off) if (!(DUTIES as readonly string[]).includes(name)) throw new Error(`BENCH_ABLATE: no duty ${name} (known: ${DUTIES.join(', ')})`)

const sources = new Map<string, string>()
for (const [duty, file] of Object.entries(REPLACED)) {
  if (off.has(duty)) sources.set(`${dist}${file}`, STAND_INS[duty] as string)
}
// Fastify as app.js imports it, with the compilers of the switched-off duties replaced first, so
// every route of every child context inherits them.
const FASTIFY_WRAPPER = `${dist}__ablated-fastify.js`
const wrapFastify = off.has('validation') || off.has('serialisation')
sources.set(FASTIFY_WRAPPER, `import Fastify from 'fastify'
export * from 'fastify'
export default function ablatedFastify (options) {
  const app = Fastify(options)
  ${off.has('validation') ? 'app.setValidatorCompiler(() => () => true)' : ''}
  ${off.has('serialisation') ? 'app.setSerializerCompiler(() => (data) => JSON.stringify(data))' : ''}
  return app
}`)
const TRANSPORT = `${dist}gooten/transport.js`
// With tracing on: no HTTP client span per Gooten call (the instrumentation is never subscribed).
const NO_UNDICI_SPANS = `${dist}__no-undici-instrumentation.js`
sources.set(NO_UNDICI_SPANS, STAND_INS['undici-spans'] as string)

registerHooks({
  resolve (specifier, context, nextResolve) {
    if (wrapFastify && specifier === 'fastify' && context.parentURL === `${dist}app.js`) {
      return { url: FASTIFY_WRAPPER, format: 'module', shortCircuit: true }
    }
    if (off.has('undici-spans') && specifier === '@opentelemetry/instrumentation-undici' && context.parentURL === `${dist}telemetry/sdk.js`) {
      return { url: NO_UNDICI_SPANS, format: 'module', shortCircuit: true }
    }
    return nextResolve(specifier, context)
  },
  load (url, context, nextLoad) {
    const source = sources.get(url)
    if (source !== undefined) return { format: 'module', source, shortCircuit: true }
    if (off.has('deadline') && url === TRANSPORT) {
      // The body timer that holds a Gooten answer to the deadline: module-level stand-ins shadow the globals.
      const loaded = nextLoad(url, context)
      const original = String(loaded.source)
      if (!original.includes('setTimeout(')) throw new Error('gooten/transport.js sets no timer any more: update the deadline stand-in')
      return { ...loaded, source: `const setTimeout = () => undefined; const clearTimeout = () => {};\n${original}`, shortCircuit: true }
    }
    return nextLoad(url, context)
  }
})

await import(`${dist}server.js`)
