import { readFileSync } from 'node:fs'
import { isIP } from 'node:net'
import envSchema from 'env-schema'
import { Type, type Static } from '@sinclair/typebox'

/** OTLP over HTTP only: the gRPC exporter would bring a gRPC stack for no gain. */
export type OtlpProtocol = 'http/protobuf' | 'http/json'
// A pattern rather than a union of literals, so a refusal names the values allowed.
const OtlpProtocolSchema = Type.Unsafe<OtlpProtocol>(Type.String({ pattern: '^http/(protobuf|json)$' }))

/** Every environment variable the service reads, with its default (docs/operations.md, Configuration). */
const EnvSchema = Type.Object({
  // Each credential from the variable or from a file (a Kubernetes Secret volume), never both.
  GOOTEN_RECIPE_ID: Type.Optional(Type.String({ minLength: 1 })),
  GOOTEN_RECIPE_ID_FILE: Type.Optional(Type.String({ minLength: 1 })),
  GOOTEN_PARTNER_BILLING_KEY: Type.Optional(Type.String({ minLength: 1 })),
  GOOTEN_PARTNER_BILLING_KEY_FILE: Type.Optional(Type.String({ minLength: 1 })),
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
  API_KEYS_FILE: Type.Optional(Type.String({ minLength: 1 })),
  SECRET_FILES_POLL_MS: Type.Integer({ default: 2000, minimum: 50, maximum: 600000 }),
  OIDC_ISSUER: Type.Optional(Type.String({ minLength: 1 })),
  OIDC_AUDIENCE: Type.Optional(Type.String({ minLength: 1, maxLength: 512 })),
  OIDC_JWKS_COOLDOWN_MS: Type.Integer({ default: 30000, minimum: 0, maximum: 3600000 }),
  OIDC_STARTUP_GRACE_MS: Type.Integer({ default: 30000, minimum: 0, maximum: 600000 }),
  OIDC_SWAGGER_CLIENT_ID: Type.Optional(Type.String({ pattern: '^[\\x21-\\x7e]{1,256}$' })),
  RATE_LIMIT_PER_MINUTE: Type.Integer({ default: 600, minimum: 1, maximum: 1000000 }),
  REDIS_URL: Type.Optional(Type.String({ pattern: '^rediss?://' })),
  CANCEL_IN_DOUBT_MS: Type.Integer({ default: 180000, minimum: 100, maximum: 3600000 }),
  STORE_LOCK_DELAY_MS: Type.Optional(Type.Integer({ minimum: 0, maximum: 7200000 })),
  TRUST_PROXY: Type.Optional(Type.String({ pattern: '^(true|false|[0-9a-fA-F.:/]+(, *[0-9a-fA-F.:/]+)*)$' })),
  SHUTDOWN_TIMEOUT_MS: Type.Integer({ default: 10000, minimum: 100, maximum: 120000 }),
  OVERLOAD_MAX_EVENT_LOOP_DELAY_MS: Type.Integer({ default: 1000, minimum: 0, maximum: 60000 }),
  MCP_CONFIRMATION_TTL_MS: Type.Integer({ default: 300000, minimum: 1000, maximum: 3600000 }),
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

/** Verifying access tokens of an OpenID provider; see docs/identity.md. */
export interface OidcConfig {
  /** Exactly as the provider writes `iss`; its discovery document is under /.well-known/openid-configuration. */
  issuer: string
  /** The `aud` every token must carry. */
  audience: string
  /** An unknown `kid` refetches the provider's keys at most once per this many ms. */
  jwksCooldownMs: number
  /** How long readiness waits for the provider's keys at start before the replica serves without them. */
  startupGraceMs: number
  /** A public client for Swagger UI's sign-in (authorization code + PKCE); undefined: no sign-in offered. */
  swaggerClientId: string | undefined
}

/** Files whose contents are read again while the service runs (Kubernetes swaps a Secret volume's files). */
export interface SecretFiles {
  apiKeys: string | undefined
  recipeId: string | undefined
  partnerBillingKey: string | undefined
  pollMs: number
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
  /** The caller keys at start (API_KEYS or API_KEYS_FILE). Undefined, with `oidc` undefined too: caller authentication is off. */
  callerKeys: CallerKey[] | undefined
  /** Access tokens of an OpenID provider; undefined: only caller keys. */
  oidc: OidcConfig | undefined
  secretFiles: SecretFiles
  rateLimitPerMinute: number
  redisUrl: string | undefined
  /** The cancel's in-doubt window and the lock store's lock-delay (docs/reliability.md). */
  locks: {
    /** How long an item whose cancel outcome is unknown stays in doubt, from the request's deadline. */
    inDoubtMs: number
    /** No lock for this long after the lock store lost its state. */
    lockDelayMs: number
    /** The smallest lock-delay that covers every cancel call and in-doubt window a loss can cut short. */
    safeLockDelayMs: number
  }
  shutdownTimeoutMs: number
  /** Fastify's trustProxy: whose X-Forwarded-For to believe for the client address (rate limits, logs). */
  trustProxy: boolean | string[]
  /** Event-loop delay beyond which requests are shed with 503; 0: never. */
  overloadMaxEventLoopDelayMs: number
  /** How long a confirmation from the MCP preview tool may be used. */
  mcpConfirmationTtlMs: number
  /** OpenTelemetry tracing; undefined: off, and no OpenTelemetry module is ever loaded. */
  tracing: { protocol: OtlpProtocol } | undefined
}

/** Every secret the configuration held at start: Gooten's two credentials and the caller keys. */
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
}

function describe (issue: AjvIssue): string {
  // Every variable the schema knows has a default or is optional (the credentials may come from files,
  // checked below), so Ajv reports values, never a missing property. Ajv messages state the rule ("must be <= 65535"), never the offending value.
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
/** Three base64url parts: such a value is read as an access token, so no key may have this shape. */
export const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/

/**
 * `name:key[:ro]` entries, separated by commas or line breaks (a file may hold one per line). A name may
 * hold several keys, so that a new key can be handed out before the old one is withdrawn.
 */
export function parseCallerKeys (raw: string | undefined, variable = 'API_KEYS'): CallerKey[] | undefined {
  if (raw === undefined || raw.trim() === '') return undefined
  const keys = raw.trim().split(/\s*[,\n]\s*/).map((entry) => {
    const [name = '', key = '', flag, ...rest] = entry.split(':')
    if (!CALLER_NAME.test(name) || !CALLER_KEY.test(key) || rest.length > 0 || (flag !== undefined && flag !== 'ro')) {
      throw new ConfigError(`${variable} must be a list of name:key[:ro], separated by commas or lines (a name of letters, digits, . _ or -, and a key of 16 to 256 visible characters without ":" or ",")`)
    }
    if (JWT_SHAPE.test(key)) throw new ConfigError(`${variable} keys must not have an access token's shape (three parts separated by dots)`)
    return { name, key: new Secret(key), readOnly: flag === 'ro' }
  })
  const readOnlyByName = new Map<string, boolean>()
  for (const { name, readOnly } of keys) {
    if (readOnlyByName.get(name) === !readOnly) throw new ConfigError(`${variable}: the keys of one name must all be read-only or all not`)
    readOnlyByName.set(name, readOnly)
  }
  if (new Set(keys.map((k) => k.key.reveal())).size !== keys.length) throw new ConfigError(`${variable} keys must be unique`)
  return keys
}

/** A credential from its variable or from the file another variable names (trailing line breaks dropped), not both. */
function valueOrFile (env: Record<string, string | undefined>, variable: string, options: { required: boolean }): string | undefined {
  const value = env[variable]
  const file = env[`${variable}_FILE`]
  if (value !== undefined && file !== undefined) throw new ConfigError(`set ${variable} or ${variable}_FILE, not both`)
  if (file === undefined) {
    if (value === undefined && options.required) throw new ConfigError(`${variable} is required (or ${variable}_FILE)`)
    return value
  }
  return readSecretFile(file, `${variable}_FILE`)
}

/** A secret file's content without the line break editors and `kubectl create secret --from-file` leave. */
export function readSecretFile (path: string, variable: string): string {
  let content: string
  try {
    content = readFileSync(path, 'utf8')
  } catch {
    throw new ConfigError(`${variable} names a file that cannot be read`)
  }
  const value = content.replace(/[\r\n]+$/, '')
  if (value === '') throw new ConfigError(`${variable} names an empty file`)
  return value
}

/**
 * The provider's issuer (https, or http on loopback, as for Gooten) and the audience: both or neither.
 * The issuer is kept exactly as given: tokens must carry it byte for byte.
 */
function parseOidc (env: Env): OidcConfig | undefined {
  const { OIDC_ISSUER: issuer, OIDC_AUDIENCE: audience } = env
  if (issuer === undefined && audience === undefined) {
    if (env.OIDC_SWAGGER_CLIENT_ID !== undefined) throw new ConfigError('OIDC_SWAGGER_CLIENT_ID needs OIDC_ISSUER and OIDC_AUDIENCE')
    return undefined
  }
  if (issuer === undefined || audience === undefined) throw new ConfigError('OIDC_ISSUER and OIDC_AUDIENCE must be set together')
  let url: URL
  try {
    url = new URL(issuer)
  } catch {
    throw new ConfigError('OIDC_ISSUER must be an absolute URL')
  }
  if (url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '') {
    throw new ConfigError('OIDC_ISSUER must have no query, fragment or user info')
  }
  if (!isSecureOrLoopback(url)) throw new ConfigError('OIDC_ISSUER must use https: (http: is allowed for loopback addresses)')
  return {
    issuer,
    audience,
    jwksCooldownMs: env.OIDC_JWKS_COOLDOWN_MS,
    startupGraceMs: env.OIDC_STARTUP_GRACE_MS,
    swaggerClientId: env.OIDC_SWAGGER_CLIENT_ID
  }
}

/** https anywhere, plain http only to this machine: what the provider's URLs must use. */
export function isSecureOrLoopback (url: URL): boolean {
  return url.protocol === 'https:' || (url.protocol === 'http:' && isLoopback(url.hostname))
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

/** A lock outlives the request that holds it by this much: its verification lookup, and a margin. */
export const LOCK_MARGIN_MS = 10_000

/**
 * A call sent before the store lost its state was sent before its request's deadline, at most
 * UPSTREAM_TIMEOUT_MS after its lock was taken, and Gooten may apply it up to CANCEL_IN_DOUBT_MS
 * after that: the default lock-delay covers both, plus the lock's margin.
 */
function lockTimes (env: Env): Config['locks'] {
  const safeLockDelayMs = env.UPSTREAM_TIMEOUT_MS + LOCK_MARGIN_MS + env.CANCEL_IN_DOUBT_MS
  return { inDoubtMs: env.CANCEL_IN_DOUBT_MS, lockDelayMs: env.STORE_LOCK_DELAY_MS ?? safeLockDelayMs, safeLockDelayMs }
}

/** The schema's issues, one per variable (a union's every branch fails alike), in the schema's order. */
function schemaProblems (error: unknown): string[] {
  const issues = (error as { errors?: AjvIssue[] }).errors ?? []
  const byVariable = new Map<string, string>()
  for (const issue of issues) {
    // Every variable has a default or is optional, so an issue is always about a value: `/PORT`.
    const variable = issue.instancePath.slice(1)
    if (!byVariable.has(variable)) byVariable.set(variable, describe(issue))
  }
  return byVariable.size === 0 ? ['configuration is invalid'] : [...byVariable.values()]
}

/** The environment as the schema reads it (defaults filled in), or undefined with its issues added to `problems`. */
function checkedSchema (problems: string[], environment: Record<string, string | undefined>): Env | undefined {
  try {
    return envSchema<Env>({ schema: EnvSchema, data: { ...environment }, dotenv: false, env: false })
  } catch (error) {
    problems.push(...schemaProblems(error))
    return undefined
  }
}

/**
 * Validates the environment once; throws one ConfigError naming every bad variable (in the schema's
 * order, then the checks beyond it), so an operator fixes them all after one failed start.
 */
export function loadConfig (environment: Record<string, string | undefined>): Config {
  const problems: string[] = []
  // The credentials first, as the schema lists them; the checks beyond the schema read the raw strings,
  // so they run whether or not the schema passed.
  const recipeId = checked(problems, () => valueOrFile(environment, 'GOOTEN_RECIPE_ID', { required: true }))
  const partnerBillingKey = checked(problems, () => valueOrFile(environment, 'GOOTEN_PARTNER_BILLING_KEY', { required: true }))
  const env = checkedSchema(problems, environment)
  const baseUrl = checked(problems, () => parseBaseUrl(environment.GOOTEN_BASE_URL ?? EnvSchema.properties.GOOTEN_BASE_URL.default, environment.GOOTEN_ALLOW_PLAIN_HTTP === 'true'))
  const keysVariable = environment.API_KEYS_FILE === undefined ? 'API_KEYS' : 'API_KEYS_FILE'
  const callerKeys = checked(problems, () => parseCallerKeys(valueOrFile(environment, 'API_KEYS', { required: false }), keysVariable))
  const oidc = env === undefined ? undefined : checked(problems, () => parseOidc(env))
  if (env === undefined || baseUrl === undefined || recipeId === undefined || partnerBillingKey === undefined || problems.length > 0) {
    throw new ConfigError(problems.join('; '))
  }
  return {
    host: env.HOST,
    port: env.PORT,
    logLevel: env.LOG_LEVEL,
    gooten: {
      ...baseUrl,
      recipeId: new Secret(recipeId),
      partnerBillingKey: new Secret(partnerBillingKey)
    },
    upstream: {
      timeoutMs: env.UPSTREAM_TIMEOUT_MS,
      maxInFlight: env.UPSTREAM_MAX_IN_FLIGHT,
      queueLimit: env.UPSTREAM_QUEUE_LIMIT,
      circuitFailureThreshold: env.CIRCUIT_FAILURE_THRESHOLD,
      circuitOpenMs: env.CIRCUIT_OPEN_MS
    },
    callerKeys,
    oidc,
    secretFiles: {
      apiKeys: env.API_KEYS_FILE,
      recipeId: env.GOOTEN_RECIPE_ID_FILE,
      partnerBillingKey: env.GOOTEN_PARTNER_BILLING_KEY_FILE,
      pollMs: env.SECRET_FILES_POLL_MS
    },
    rateLimitPerMinute: env.RATE_LIMIT_PER_MINUTE,
    redisUrl: env.REDIS_URL,
    locks: lockTimes(env),
    shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_MS,
    trustProxy: parseTrustProxy(env.TRUST_PROXY),
    overloadMaxEventLoopDelayMs: env.OVERLOAD_MAX_EVENT_LOOP_DELAY_MS,
    mcpConfirmationTtlMs: env.MCP_CONFIRMATION_TTL_MS,
    tracing: parseTracing(env)
  }
}
