import { isIP } from 'node:net'
import envSchema from 'env-schema'
import { Type, type Static } from '@sinclair/typebox'

/** OTLP over HTTP only: the gRPC exporter would bring a gRPC stack for no gain. */
export type OtlpProtocol = 'http/protobuf' | 'http/json'
// A pattern rather than a union of literals, so a refusal names the values allowed.
const OtlpProtocolSchema = Type.Unsafe<OtlpProtocol>(Type.String({ pattern: '^http/(protobuf|json)$' }))

/** Every environment variable the service reads, with its default (docs/operations.md, Configuration). */
const EnvSchema = Type.Object({
  GOOTEN_RECIPE_ID: Type.String({ minLength: 1 }),
  GOOTEN_PARTNER_BILLING_KEY: Type.String({ minLength: 1 }),
  GOOTEN_BASE_URL: Type.String({ default: 'https://api.print.io' }),
  GOOTEN_ALLOW_PLAIN_HTTP: Type.Union([Type.Literal('true'), Type.Literal('false')], { default: 'false' }),
  HOST: Type.String({ default: '0.0.0.0', minLength: 1 }),
  PORT: Type.Integer({ default: 3000, minimum: 0, maximum: 65535 }),
  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((level) => Type.Literal(level)),
    { default: 'info' }
  ),
  UPSTREAM_TIMEOUT_MS: Type.Integer({ default: 8000, minimum: 100, maximum: 120000 }),
  UPSTREAM_MAX_IN_FLIGHT: Type.Integer({ default: 32, minimum: 1, maximum: 1024 }),
  UPSTREAM_QUEUE_LIMIT: Type.Integer({ default: 32, minimum: 0, maximum: 1024 }),
  CIRCUIT_FAILURE_THRESHOLD: Type.Integer({ default: 5, minimum: 1, maximum: 1000 }),
  CIRCUIT_OPEN_MS: Type.Integer({ default: 30000, minimum: 100, maximum: 600000 }),
  API_KEYS: Type.Optional(Type.String()),
  RATE_LIMIT_PER_MINUTE: Type.Integer({ default: 600, minimum: 1, maximum: 1000000 }),
  REDIS_URL: Type.Optional(Type.String({ pattern: '^rediss?://' })),
  TRUST_PROXY: Type.Optional(Type.String({ pattern: '^(true|false|[0-9a-fA-F.:/]+(, *[0-9a-fA-F.:/]+)*)$' })),
  SHUTDOWN_TIMEOUT_MS: Type.Integer({ default: 10000, minimum: 100, maximum: 120000 }),
  OVERLOAD_MAX_EVENT_LOOP_DELAY_MS: Type.Integer({ default: 1000, minimum: 0, maximum: 60000 }),
  // OpenTelemetry's own variables that decide whether tracing starts and how it exports (docs/operations.md, Tracing);
  // the SDK reads the rest (headers, timeouts, sampler, batching, resource) itself.
  OTEL_SDK_DISABLED: Type.Optional(Type.String()),
  OTEL_TRACES_EXPORTER: Type.Optional(Type.String({ pattern: '^(otlp|none)$' })),
  OTEL_EXPORTER_OTLP_ENDPOINT: Type.Optional(Type.String({ pattern: '^https?://' })),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: Type.Optional(Type.String({ pattern: '^https?://' })),
  OTEL_EXPORTER_OTLP_PROTOCOL: Type.Optional(OtlpProtocolSchema),
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: Type.Optional(OtlpProtocolSchema)
})
type Env = Static<typeof EnvSchema>

/** The names of every variable the service reads (.env.example lists them all). */
export const ENVIRONMENT_VARIABLES = Object.keys(EnvSchema.properties)

/**
 * A credential. It is read with reveal() only: serialised (a log line, JSON), inspected or printed it
 * is `[redacted]`, at any depth of whatever object holds it. A structural guarantee, where a logger's
 * redaction paths cover only the places someone thought of, and cost time on every line.
 */
export class Secret {
  readonly #value: string

  constructor (value: string) {
    this.#value = value
  }

  reveal (): string {
    return this.#value
  }

  toJSON (): string {
    return '[redacted]'
  }

  toString (): string {
    return '[redacted]'
  }

  [Symbol.for('nodejs.util.inspect.custom')] (): string {
    return '[redacted]'
  }
}

export interface CallerKey {
  name: string
  key: Secret
  readOnly: boolean
}

export interface Config {
  host: string
  port: number
  logLevel: string
  gooten: {
    /** Origin only (scheme, host, port); paths are the adapter's business. */
    baseUrl: string
    /** Plain http beyond loopback, allowed by GOOTEN_ALLOW_PLAIN_HTTP: the credentials travel unencrypted. */
    plainHttp: boolean
    recipeId: Secret
    partnerBillingKey: Secret
  }
  upstream: {
    timeoutMs: number
    maxInFlight: number
    queueLimit: number
    circuitFailureThreshold: number
    circuitOpenMs: number
  }
  /** Undefined: caller authentication is off. */
  callerKeys: CallerKey[] | undefined
  rateLimitPerMinute: number
  redisUrl: string | undefined
  shutdownTimeoutMs: number
  /** Fastify's trustProxy: whose X-Forwarded-For to believe for the client address (rate limits, logs). */
  trustProxy: boolean | string[]
  /** Event-loop delay beyond which requests are shed with 503; 0: never. */
  overloadMaxEventLoopDelayMs: number
  /** OpenTelemetry tracing; undefined: off, and no OpenTelemetry module is ever loaded. */
  tracing: { protocol: OtlpProtocol } | undefined
}

/** Every secret the configuration holds: Gooten's two credentials and the caller keys. */
export function configuredSecrets (config: Config): string[] {
  return [
    config.gooten.recipeId.reveal(),
    config.gooten.partnerBillingKey.reveal(),
    ...(config.callerKeys ?? []).map((caller) => caller.key.reveal())
  ]
}

/** Thrown for missing or malformed variables; the message names each, never a value. */
export class ConfigError extends Error {
  override name = 'ConfigError'
}

/** Runs one check, noting its refusal instead of throwing it, so one start can name every problem. */
function checked<T> (problems: string[], check: () => T): T | undefined {
  try {
    return check()
  } catch (error) {
    problems.push((error as ConfigError).message)
    return undefined
  }
}

interface AjvIssue {
  instancePath: string
  message?: string
  params: { missingProperty?: string }
}

function describe (issue: AjvIssue): string {
  if (issue.params.missingProperty !== undefined) return `${issue.params.missingProperty} is required`
  // Ajv messages state the rule ("must be <= 65535"), never the offending value.
  return `${issue.instancePath.slice(1)} ${issue.message as string}`
}

function parseBaseUrl (raw: string, allowPlainHttp: boolean): { baseUrl: string, plainHttp: boolean } {
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    throw new ConfigError('GOOTEN_BASE_URL must be an absolute URL')
  }
  if (url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '' || url.pathname !== '/') {
    throw new ConfigError('GOOTEN_BASE_URL must be an origin only (no path, query, fragment or user info)')
  }
  if (url.protocol === 'https:') return { baseUrl: url.origin, plainHttp: false }
  if (url.protocol === 'http:' && isLoopback(url.hostname)) return { baseUrl: url.origin, plainHttp: false }
  // A simulator in a container of its own (docker compose) is reached over the network, in plain http.
  if (url.protocol === 'http:' && allowPlainHttp) return { baseUrl: url.origin, plainHttp: true }
  throw new ConfigError('GOOTEN_BASE_URL must use https: (http: is allowed for loopback addresses, or anywhere with GOOTEN_ALLOW_PLAIN_HTTP=true)')
}

function isLoopback (hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '')
  if (host === 'localhost') return true
  if (isIP(host) === 4) return host.startsWith('127.')
  return host === '::1'
}

const CALLER_NAME = /^[A-Za-z0-9._-]{1,64}$/
const CALLER_KEY = /^[\x21-\x7e]{16,256}$/

function parseCallerKeys (raw: string | undefined): CallerKey[] | undefined {
  if (raw === undefined || raw.trim() === '') return undefined
  const keys = raw.split(',').map((entry) => {
    const [name = '', key = '', flag, ...rest] = entry.trim().split(':')
    if (!CALLER_NAME.test(name) || !CALLER_KEY.test(key) || rest.length > 0 || (flag !== undefined && flag !== 'ro')) {
      throw new ConfigError('API_KEYS must be a comma-separated list of name:key[:ro] (a name of letters, digits, . _ or -, and a key of 16 to 256 visible characters without ":" or ",")')
    }
    return { name, key: new Secret(key), readOnly: flag === 'ro' }
  })
  if (new Set(keys.map((k) => k.name)).size !== keys.length) throw new ConfigError('API_KEYS names must be unique')
  if (new Set(keys.map((k) => k.key.reveal())).size !== keys.length) throw new ConfigError('API_KEYS keys must be unique')
  return keys
}

/** `true`, `false`, or a comma-separated list of trusted gateway addresses or CIDRs. */
function parseTrustProxy (raw: string | undefined): boolean | string[] {
  if (raw === undefined || raw === 'false') return false
  if (raw === 'true') return true
  return raw.split(',').map((entry) => entry.trim())
}

/**
 * Tracing is off unless configured: an OTLP endpoint, or OTEL_TRACES_EXPORTER=otlp (the SDK's default
 * endpoint, a collector on localhost:4318). OTEL_SDK_DISABLED=true and OTEL_TRACES_EXPORTER=none win.
 */
function parseTracing (env: Env): Config['tracing'] {
  if (env.OTEL_SDK_DISABLED?.toLowerCase() === 'true' || env.OTEL_TRACES_EXPORTER === 'none') return undefined
  const configured = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT !== undefined || env.OTEL_EXPORTER_OTLP_ENDPOINT !== undefined || env.OTEL_TRACES_EXPORTER === 'otlp'
  if (!configured) return undefined
  return { protocol: env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? env.OTEL_EXPORTER_OTLP_PROTOCOL ?? 'http/protobuf' }
}

/** The schema's issues, one per variable (a union's every branch fails alike), in the schema's order. */
function schemaProblems (error: unknown): string[] {
  const issues = (error as { errors?: AjvIssue[] }).errors ?? []
  const byVariable = new Map<string, string>()
  for (const issue of issues) {
    const variable = issue.params.missingProperty ?? issue.instancePath.slice(1).split('/')[0] ?? ''
    if (!byVariable.has(variable)) byVariable.set(variable, describe(issue))
  }
  return byVariable.size === 0 ? ['configuration is invalid'] : [...byVariable.values()]
}

/**
 * Validates the environment once; throws one ConfigError naming every bad variable (in the schema's
 * order, then the checks beyond it), so an operator fixes them all after one failed start.
 */
export function loadConfig (environment: Record<string, string | undefined>): Config {
  const problems: string[] = []
  let env: Env | undefined
  try {
    env = envSchema<Env>({ schema: EnvSchema, data: { ...environment }, dotenv: false, env: false })
  } catch (error) {
    problems.push(...schemaProblems(error))
  }
  // The checks beyond the schema read the raw strings, so they run whether or not the schema passed.
  const baseUrl = checked(problems, () => parseBaseUrl(environment.GOOTEN_BASE_URL ?? EnvSchema.properties.GOOTEN_BASE_URL.default, environment.GOOTEN_ALLOW_PLAIN_HTTP === 'true'))
  const callerKeys = checked(problems, () => parseCallerKeys(environment.API_KEYS))
  if (env === undefined || baseUrl === undefined) throw new ConfigError(problems.join('; '))
  if (problems.length > 0) throw new ConfigError(problems.join('; '))
  return {
    host: env.HOST,
    port: env.PORT,
    logLevel: env.LOG_LEVEL,
    gooten: {
      ...baseUrl,
      recipeId: new Secret(env.GOOTEN_RECIPE_ID),
      partnerBillingKey: new Secret(env.GOOTEN_PARTNER_BILLING_KEY)
    },
    upstream: {
      timeoutMs: env.UPSTREAM_TIMEOUT_MS,
      maxInFlight: env.UPSTREAM_MAX_IN_FLIGHT,
      queueLimit: env.UPSTREAM_QUEUE_LIMIT,
      circuitFailureThreshold: env.CIRCUIT_FAILURE_THRESHOLD,
      circuitOpenMs: env.CIRCUIT_OPEN_MS
    },
    callerKeys,
    rateLimitPerMinute: env.RATE_LIMIT_PER_MINUTE,
    redisUrl: env.REDIS_URL,
    shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_MS,
    trustProxy: parseTrustProxy(env.TRUST_PROXY),
    overloadMaxEventLoopDelayMs: env.OVERLOAD_MAX_EVENT_LOOP_DELAY_MS,
    tracing: parseTracing(env)
  }
}
