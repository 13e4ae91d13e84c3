import Fastify, { LogController, type FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { DestinationStream } from 'pino'
import type { Dispatcher } from 'undici'
import type { OrderLocks } from './cancellation/ports.js'
import type { Config } from './config.js'
import type { Redactor } from './gooten/redaction.js'
import { answerClientError } from './http/client-errors.js'
import { toProblem } from './http/error-mapping.js'
import { requestIdGenerator } from './http/request-id.js'
import { sharedSerializers } from './http/serializers.js'
import authentication, { type AuthenticationOptions } from './plugins/authentication.js'
import { LIMITS } from './problems/catalogue.js'
import callerAuth from './plugins/caller-auth.js'
import contentEncoding from './plugins/content-encoding.js'
import expectations from './plugins/expectations.js'
import gooten from './plugins/gooten.js'
import idempotency from './plugins/idempotency.js'
import mcp from './plugins/mcp.js'
import metrics from './plugins/metrics.js'
import overload from './plugins/overload.js'
import problems, { sendProblem } from './plugins/problems.js'
import rateLimit from './plugins/rate-limit.js'
import readiness from './plugins/readiness.js'
import requestLog from './plugins/request-log.js'
import securityHeaders from './plugins/security-headers.js'
import stores from './plugins/stores.js'
import openapi from './plugins/openapi.js'
import upstreamDeadline from './plugins/upstream-deadline.js'
import healthRoutes from './routes/health.js'
import ordersRoutes from './routes/orders.js'
import { SHARED_SCHEMAS } from './routes/schemas.js'
import { LiveSecrets } from './secrets/live-secrets.js'
import type { AppTracing } from './telemetry/hooks.js'

declare module 'fastify' {
  interface FastifyInstance {
    config: Config
    /** Replaces every configured secret in caller-supplied text bound for a log line (a cancel's reason). */
    redactSecrets: Redactor
    /** The credentials and caller keys in force now; those read from files change while the service runs. */
    secrets: LiveSecrets
  }
}

export interface BuildAppOptions {
  config: Config
  /** Where log lines go (default stdout); tests capture them here. */
  logStream?: DestinationStream
  /** Replaces the connection pool to Gooten. */
  dispatcher?: Dispatcher
  /** Replaces the per-order locks. */
  locks?: OrderLocks
  /** Time allowed to receive a whole request; tests shorten it. */
  requestTimeoutMs?: number
  /** Add process-wide metrics (heap, event loop); once per process. */
  processMetrics?: boolean
  /** Set only when tracing is on (src/telemetry); without it the app has no tracing code at all. */
  tracing?: AppTracing
  /** Epoch milliseconds, for the expiry of MCP confirmations (default Date.now); tests move it. */
  now?: () => number
  /** The credentials and caller keys in force; by default from `config`. The server shares them with tracing's redactor. */
  secrets?: LiveSecrets
  /** Replaces fetch for the OpenID provider's discovery and keys (tests). */
  authentication?: AuthenticationOptions
}

const REQUEST_TIMEOUT_MS = 10_000

/** A validation failure without a stack trace: capturing one cost a fifth of a 400's CPU time. */
function validationError (_errors: unknown, dataVar: string): Error {
  const limit = Error.stackTraceLimit
  Error.stackTraceLimit = 0
  try {
    return new Error(`${dataVar} does not match its schema`)
  } finally {
    Error.stackTraceLimit = limit
  }
}

/** Builds the whole service from a validated config; never reads process.env. */
export async function buildApp (options: BuildAppOptions): Promise<FastifyInstance> {
  const { config } = options
  const secrets = options.secrets ?? new LiveSecrets(config)
  const redactSecrets = secrets.redact
  const requestTimeout = options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS
  const app = Fastify({
    logger: {
      level: config.logLevel,
      ...(options.logStream === undefined ? {} : { stream: options.logStream }),
      // Gooten's credentials and the caller keys are Secrets, which never serialise (config.ts). A caller's
      // key also arrives as a header: should request headers ever be logged, it is cut out. Exact paths
      // only: pino's wildcard paths cost more than a whole log line.
      redact: { paths: ['req.headers.authorization', 'headers.authorization'], censor: '[redacted]' }
    },
    // Our own access line replaces Fastify's two per request.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'reqId' }),
    requestIdHeader: false,
    genReqId: requestIdGenerator(redactSecrets),
    trustProxy: config.trustProxy,
    // Ajv's issues travel on error.validation and become the problem's `errors`; the message is never
    // shown, so Fastify's default formatter (which words it and captures a stack) is not needed.
    schemaErrorFormatter: validationError,
    // Errors the router raises before any route runs (malformed percent-encoding) get the same problem shape,
    // and the X-Request-Id every answer carries (no onRequest hook runs for them).
    frameworkErrors: (error, request, reply) => { sendProblem(request, reply.header('x-request-id', request.id), toProblem(error)) },
    bodyLimit: LIMITS.bodyBytes,
    // A request that trickles in or never ends is cut off with a 408 rather than holding a socket for
    // ever; Node checks every second instead of its default 30. Both limits go to http.createServer:
    // Node fixes headersTimeout there (60 s unless given), before Fastify sets requestTimeout, and
    // expires a request whose headers have arrived only once headersTimeout has passed too.
    requestTimeout,
    http: { connectionsCheckingInterval: 1000, requestTimeout, headersTimeout: requestTimeout },
    // close() runs after the drain, when no request is in flight: a connection still open then is idle
    // or a client that stopped sending (a header block or a body answered early), and close() would
    // otherwise wait for it until the request timeout.
    forceCloseConnections: true,
    clientErrorHandler: answerClientError,
    // Long ids must reach the schema and get a 400, not fall through to a 404.
    routerOptions: { maxParamLength: 512 },
    // One serializer per distinct response schema, not per route and status.
    schemaController: { compilersFactory: { buildSerializer: sharedSerializers() } },
    ajv: {
      // Reject what is wrong instead of quietly changing it.
      customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: true }
    }
  }).withTypeProvider<TypeBoxTypeProvider>()

  app.decorate('config', config)
  app.decorate('redactSecrets', redactSecrets)
  app.decorate('secrets', secrets)
  // Only JSON bodies are accepted; Fastify's text/plain parser would let text through to validation.
  app.removeContentTypeParser('text/plain')
  for (const schema of SHARED_SCHEMAS) app.addSchema(schema)

  // First, when on: it must see every route added and start each request's span before other hooks run.
  if (options.tracing !== undefined) await app.register(options.tracing.plugin)
  // Every route: problems, security headers, the request id and access line, Expect, drain, shedding, metrics.
  await app.register(problems)
  await app.register(securityHeaders)
  // First among route-adding plugins: it documents only the routes registered after it.
  await app.register(openapi)
  await app.register(requestLog)
  await app.register(expectations)
  await app.register(readiness)
  await app.register(overload)
  await app.register(metrics, { processMetrics: options.processMetrics ?? false })
  // Files of credentials and keys, read again while the service runs: what changed is said, never its value.
  secrets.start({
    reloaded: (file) => {
      app.log.info({ file }, 'secret file reloaded; its new values are in force')
      app.metrics.secretFile(file, 'applied')
    },
    rejected: (file, reason) => {
      app.log.warn({ file, reason }, 'secret file refused; the previous values stay in force')
      app.metrics.secretFile(file, 'refused')
    }
  })
  app.addHook('onClose', async () => { secrets.stop() })
  // The services the routes use.
  await app.register(stores, options.locks === undefined ? {} : { locks: options.locks })
  await app.register(gooten, { dispatcher: options.dispatcher, tracing: options.tracing })
  await app.register(authentication, options.authentication ?? {})

  await app.register(healthRoutes)
  // The order routes and the MCP endpoint, with what only they need: callers, rate limits, body
  // encoding, a deadline, idempotency.
  await app.register(async function ordersApi (orders) {
    await orders.register(callerAuth)
    await orders.register(rateLimit)
    await orders.register(contentEncoding)
    await orders.register(upstreamDeadline)
    await orders.register(idempotency)
    await orders.register(ordersRoutes)
    await orders.register(mcp, options.now === undefined ? {} : { now: options.now })
  })
  return app
}
