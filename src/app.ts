import Fastify, { LogController, type FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { IncomingMessage, ServerResponse } from 'node:http'
import * as helmetModule from 'helmet'
import { randomUUID } from 'node:crypto'
import type { DestinationStream } from 'pino'
import type { Dispatcher } from 'undici'
import type { OrderLocks } from './cancellation/ports.js'
import type { Config } from './config.js'
import gooten from './plugins/gooten.js'
import metrics from './plugins/metrics.js'
import { toProblem } from './http/error-mapping.js'
import problems, { sendProblem } from './plugins/problems.js'
import { answerClientError } from './http/client-errors.js'
import readiness from './plugins/readiness.js'
import requestLog from './plugins/request-log.js'
import overload from './plugins/overload.js'
import expectations from './plugins/expectations.js'
import openapi from './plugins/swagger.js'
import healthRoutes from './routes/health.js'
import { createStores } from './stores/index.js'
import ordersRoutes from './routes/orders.js'
import { REQUEST_ID_PATTERN, SHARED_SCHEMAS } from './routes/schemas.js'

export interface BuildAppOptions {
  config: Config
  /** Where log lines go (default stdout); tests capture them here. */
  logStream?: DestinationStream
  /** Replaces the connection pool to Gooten. */
  dispatcher?: Dispatcher
  locks?: OrderLocks
  /** Time allowed to receive a whole request; tests shorten it. */
  requestTimeoutMs?: number
  /** Add process-wide metrics (heap, event loop); once per process. */
  processMetrics?: boolean
}

const requestIdPattern = new RegExp(REQUEST_ID_PATTERN)

const REQUEST_TIMEOUT_MS = 10_000

// helmet ships ESM and CommonJS typings; ts-node (which runs src/server.ts in the tests' server
// processes) reads the CommonJS ones, where the default import is not callable. At run time the
// default export is the middleware factory either way.
type SecurityHeaders = (request: IncomingMessage, response: ServerResponse, next: () => void) => void
const helmet = helmetModule.default as unknown as (options: object) => SecurityHeaders

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
  const requestTimeout = options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS
  const app = Fastify({
    logger: {
      level: config.logLevel,
      ...(options.logStream === undefined ? {} : { stream: options.logStream }),
      // Belt and braces: nothing we log carries these, but a future log line must not leak them either.
      // (Dropping the two wildcards would save some 5% of a cancel's CPU; kept on purpose, see bench/PROFILE.md.)
      redact: { paths: ['req.headers.authorization', 'headers.authorization', '*.partnerBillingKey', '*.recipeId'], censor: '[redacted]' }
    },
    // Our own access line replaces Fastify's two per request.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'reqId' }),
    requestIdHeader: false,
    trustProxy: config.trustProxy,
    genReqId: (request) => {
      const incoming = request.headers['x-request-id']
      return typeof incoming === 'string' && requestIdPattern.test(incoming) ? incoming : randomUUID()
    },
    // Ajv's issues travel on error.validation and become the problem's `errors`; the message is never
    // shown, so Fastify's default formatter (which words it and captures a stack) is not needed.
    schemaErrorFormatter: validationError,
    // Errors the router raises before any route runs (malformed percent-encoding) get the same problem shape,
    // and the X-Request-Id every answer carries (no onRequest hook runs for them).
    frameworkErrors: (error, request, reply) => { sendProblem(request, reply.header('x-request-id', request.id), toProblem(error)) },
    bodyLimit: 16 * 1024,
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
    ajv: {
      // Reject what is wrong instead of quietly changing it.
      customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: true }
    }
  }).withTypeProvider<TypeBoxTypeProvider>()

  // Only JSON bodies are accepted; Fastify's text/plain parser would let text through to validation.
  app.removeContentTypeParser('text/plain')
  for (const schema of SHARED_SCHEMAS) app.addSchema(schema)

  await app.register(problems)
  // Security headers on every answer. Helmet's default CSP is what Swagger UI at /docs needs: its
  // scripts come from /docs/static ('self') and the default style-src allows its inline styles
  // (test/browser/swagger-ui.test.ts fails on any CSP refusal). Without upgrade-insecure-requests:
  // TLS ends at the gateway, and a browser opening /docs over plain HTTP inside the network would
  // otherwise ask for those assets over HTTPS and get nothing.
  // Helmet's middleware is built once here: @fastify/helmet builds a new one (and parses the CSP
  // directives again) for every request.
  const securityHeaders = helmet({ contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } } })
  app.addHook('onRequest', (request, reply, done) => { securityHeaders(request.raw, reply.raw, () => { done() }) })
  // First among route-adding plugins: it documents only the routes registered after it.
  await app.register(openapi)
  await app.register(requestLog)
  await app.register(expectations)
  await app.register(readiness)
  await app.register(overload, { maxEventLoopDelayMs: config.overloadMaxEventLoopDelayMs })
  await app.register(metrics, { processMetrics: options.processMetrics ?? false })
  const stores = await createStores(config, app.log)
  app.addHook('onClose', stores.close)
  await app.register(gooten, {
    config,
    locks: options.locks ?? stores.locks,
    ...(options.dispatcher === undefined ? {} : { dispatcher: options.dispatcher })
  })
  await app.register(healthRoutes)
  await app.register(ordersRoutes, { config, idempotency: stores.idempotency, redis: stores.redis })
  return app
}
