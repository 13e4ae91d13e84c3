import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { inspect } from 'node:util'
import t from 'tap'
import type { TestContext } from './helpers/tap.js'
import { ConfigError, loadConfig } from '../../src/config.js'

// Distinctive values: if any of them shows up in an error message, a secret would leak into a log.
const RECIPE = 'rcp-SECRET-5b1e77'
const BILLING = 'bk+SECRET/9f2c=='
const REQUIRED = { GOOTEN_RECIPE_ID: RECIPE, GOOTEN_PARTNER_BILLING_KEY: BILLING }

function env (extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return { ...REQUIRED, ...extra }
}

/** Loads, expects a ConfigError naming `variable`, and checks no given value leaks into the message. */
function refuses (t: TestContext, environment: Record<string, string | undefined>, variable: string, secrets: string[] = []): void {
  let caught: unknown
  try {
    loadConfig(environment)
  } catch (error) {
    caught = error
  }
  t.ok(caught instanceof ConfigError, 'throws ConfigError')
  const error = caught as ConfigError
  t.equal(error.name, 'ConfigError')
  t.match(error.message, variable, 'names the variable')
  for (const value of [...secrets, RECIPE, BILLING]) {
    t.notOk(error.message.includes(value), `message does not hold ${JSON.stringify(value)}`)
  }
}

t.test('defaults', async (t) => {
  const config = loadConfig(env())
  // t.match: settings added later by other modules need not be listed here.
  t.match(config, {
    host: '0.0.0.0',
    port: 3000,
    logLevel: 'info',
    gooten: { baseUrl: 'https://api.print.io' },
    upstream: { timeoutMs: 8000, maxInFlight: 32, queueLimit: 32, circuitFailureThreshold: 5, circuitOpenMs: 30000 },
    callerKeys: undefined,
    rateLimitPerMinute: 600,
    redisUrl: undefined,
    shutdownTimeoutMs: 10000
  })
})

t.test('the credentials are Secrets: revealed on request, [redacted] wherever they are serialised or printed', async (t) => {
  const config = loadConfig(env({ API_KEYS: 'app:caller-key-SECRET-0001' }))
  t.equal(config.gooten.recipeId.reveal(), RECIPE)
  t.equal(config.gooten.partnerBillingKey.reveal(), BILLING)
  t.equal(config.callerKeys?.[0]?.key.reveal(), 'caller-key-SECRET-0001')
  const everywhere = [JSON.stringify(config), JSON.stringify({ deep: { deeper: { config } } }), String(config.gooten.recipeId), `${config.gooten.partnerBillingKey}`, inspect(config, { depth: 10 })]
  for (const text of everywhere) {
    for (const secret of [RECIPE, BILLING, 'caller-key-SECRET-0001']) t.notOk(text.includes(secret), `${secret} stays out of ${text.slice(0, 40)}…`)
  }
  t.match(JSON.stringify(config), /"partnerBillingKey":"\[redacted\]"/)
})

t.test('explicit values are read and converted', async (t) => {
  const config = loadConfig(env({
    HOST: '127.0.0.1',
    PORT: '8080',
    LOG_LEVEL: 'debug',
    UPSTREAM_TIMEOUT_MS: '2500',
    UPSTREAM_MAX_IN_FLIGHT: '4',
    UPSTREAM_QUEUE_LIMIT: '0',
    CIRCUIT_FAILURE_THRESHOLD: '3',
    CIRCUIT_OPEN_MS: '1000',
    RATE_LIMIT_PER_MINUTE: '10',
    REDIS_URL: 'rediss://cache.internal:6380',
    SHUTDOWN_TIMEOUT_MS: '500'
  }))
  t.equal(config.host, '127.0.0.1')
  t.equal(config.port, 8080)
  t.equal(config.logLevel, 'debug')
  t.same(config.upstream, { timeoutMs: 2500, maxInFlight: 4, queueLimit: 0, circuitFailureThreshold: 3, circuitOpenMs: 1000 })
  t.equal(config.rateLimitPerMinute, 10)
  t.equal(config.redisUrl, 'rediss://cache.internal:6380')
  t.equal(config.shutdownTimeoutMs, 500)
})

t.test('the input object is not modified', async (t) => {
  const input = env()
  loadConfig(input)
  t.same(input, REQUIRED)
})

t.test('each required variable missing', async (t) => {
  refuses(t, { GOOTEN_PARTNER_BILLING_KEY: BILLING }, 'GOOTEN_RECIPE_ID')
  refuses(t, { GOOTEN_RECIPE_ID: RECIPE }, 'GOOTEN_PARTNER_BILLING_KEY')
  refuses(t, env({ GOOTEN_RECIPE_ID: '' }), 'GOOTEN_RECIPE_ID')
  refuses(t, env({ GOOTEN_PARTNER_BILLING_KEY: '' }), 'GOOTEN_PARTNER_BILLING_KEY')
  t.throws(() => loadConfig({}), ConfigError)
})

t.test('malformed numbers', async (t) => {
  refuses(t, env({ PORT: 'abc' }), 'PORT', ['abc'])
  refuses(t, env({ PORT: '70000' }), 'PORT', ['70000'])
  refuses(t, env({ PORT: '-1' }), 'PORT')
  refuses(t, env({ PORT: '80.5' }), 'PORT', ['80.5'])
  refuses(t, env({ UPSTREAM_TIMEOUT_MS: '5' }), 'UPSTREAM_TIMEOUT_MS')
  refuses(t, env({ UPSTREAM_TIMEOUT_MS: '999999999' }), 'UPSTREAM_TIMEOUT_MS', ['999999999'])
  refuses(t, env({ UPSTREAM_MAX_IN_FLIGHT: '0' }), 'UPSTREAM_MAX_IN_FLIGHT')
  refuses(t, env({ UPSTREAM_QUEUE_LIMIT: 'lots' }), 'UPSTREAM_QUEUE_LIMIT', ['lots'])
  refuses(t, env({ CIRCUIT_FAILURE_THRESHOLD: '0' }), 'CIRCUIT_FAILURE_THRESHOLD')
  refuses(t, env({ CIRCUIT_OPEN_MS: '99' }), 'CIRCUIT_OPEN_MS')
  refuses(t, env({ RATE_LIMIT_PER_MINUTE: '0' }), 'RATE_LIMIT_PER_MINUTE')
  refuses(t, env({ SHUTDOWN_TIMEOUT_MS: 'soon' }), 'SHUTDOWN_TIMEOUT_MS', ['soon'])
})

t.test('HOST must not be empty', async (t) => {
  refuses(t, env({ HOST: '' }), 'HOST')
})

t.test('LOG_LEVEL', async (t) => {
  for (const level of ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']) {
    t.equal(loadConfig(env({ LOG_LEVEL: level })).logLevel, level)
  }
  refuses(t, env({ LOG_LEVEL: 'verbose-XYZZY' }), 'LOG_LEVEL', ['verbose-XYZZY'])
})

t.test('GOOTEN_BASE_URL', async (t) => {
  const baseUrl = (value: string): string => loadConfig(env({ GOOTEN_BASE_URL: value })).gooten.baseUrl

  t.test('accepted origins', async (t) => {
    t.equal(baseUrl('https://api.print.io'), 'https://api.print.io')
    t.equal(baseUrl('https://api.print.io/'), 'https://api.print.io', 'a bare trailing slash is the origin')
    t.equal(baseUrl('https://gooten.example:8443'), 'https://gooten.example:8443')
    t.equal(baseUrl('http://127.0.0.1:4010'), 'http://127.0.0.1:4010')
    t.equal(baseUrl('http://127.9.8.7'), 'http://127.9.8.7', 'all of 127/8 is loopback')
    t.equal(baseUrl('http://localhost'), 'http://localhost')
    t.equal(baseUrl('http://localhost:4010'), 'http://localhost:4010')
    t.equal(baseUrl('http://[::1]:4010'), 'http://[::1]:4010')
  })

  t.test('plain http to anything but loopback is refused', async (t) => {
    refuses(t, env({ GOOTEN_BASE_URL: 'http://example.com' }), 'GOOTEN_BASE_URL', ['example.com'])
    refuses(t, env({ GOOTEN_BASE_URL: 'http://10.1.2.3:4010' }), 'GOOTEN_BASE_URL', ['10.1.2.3'])
    refuses(t, env({ GOOTEN_BASE_URL: 'http://[::2]' }), 'GOOTEN_BASE_URL', ['::2'])
    refuses(t, env({ GOOTEN_BASE_URL: 'http://localhost.evil.example' }), 'GOOTEN_BASE_URL', ['evil'])
    refuses(t, env({ GOOTEN_BASE_URL: 'ftp://files.example' }), 'GOOTEN_BASE_URL', ['files.example'])
    refuses(t, env({ GOOTEN_BASE_URL: 'http://gooten-simulator:4010', GOOTEN_ALLOW_PLAIN_HTTP: 'false' }), 'GOOTEN_BASE_URL', ['gooten-simulator'])
    refuses(t, env({ GOOTEN_ALLOW_PLAIN_HTTP: 'yes' }), 'GOOTEN_ALLOW_PLAIN_HTTP', ['yes'])
  })

  t.test('GOOTEN_ALLOW_PLAIN_HTTP=true opens plain http to any host, and says so', async (t) => {
    const { gooten } = loadConfig(env({ GOOTEN_BASE_URL: 'http://gooten-simulator:4010', GOOTEN_ALLOW_PLAIN_HTTP: 'true' }))
    t.same([gooten.baseUrl, gooten.plainHttp], ['http://gooten-simulator:4010', true])
    t.equal(loadConfig(env({ GOOTEN_BASE_URL: 'http://127.0.0.1:4010' })).gooten.plainHttp, false, 'loopback needs no opt-in')
    t.equal(loadConfig(env({ GOOTEN_BASE_URL: 'https://api.print.io', GOOTEN_ALLOW_PLAIN_HTTP: 'true' })).gooten.plainHttp, false, 'moot for https')
    refuses(t, env({ GOOTEN_BASE_URL: 'ftp://files.example', GOOTEN_ALLOW_PLAIN_HTTP: 'true' }), 'GOOTEN_BASE_URL', ['files.example'])
  })

  t.test('paths, queries, fragments and user info are refused', async (t) => {
    refuses(t, env({ GOOTEN_BASE_URL: 'https://api.print.io/api' }), 'GOOTEN_BASE_URL', ['/api'])
    refuses(t, env({ GOOTEN_BASE_URL: 'https://api.print.io/?recipeid=QQSECRETQQ' }), 'GOOTEN_BASE_URL', ['QQSECRETQQ'])
    refuses(t, env({ GOOTEN_BASE_URL: 'https://api.print.io/#frag-QQ' }), 'GOOTEN_BASE_URL', ['frag-QQ'])
    refuses(t, env({ GOOTEN_BASE_URL: 'https://admin:hunter2-QQ@api.print.io' }), 'GOOTEN_BASE_URL', ['hunter2-QQ', 'admin'])
    refuses(t, env({ GOOTEN_BASE_URL: 'https://onlyuser-QQ@api.print.io' }), 'GOOTEN_BASE_URL', ['onlyuser-QQ'])
    refuses(t, env({ GOOTEN_BASE_URL: 'https://:pw-only-QQ@api.print.io' }), 'GOOTEN_BASE_URL', ['pw-only-QQ'])
  })

  t.test('garbage is refused', async (t) => {
    refuses(t, env({ GOOTEN_BASE_URL: 'not a url GARBAGE-QQ' }), 'GOOTEN_BASE_URL', ['GARBAGE-QQ'])
    refuses(t, env({ GOOTEN_BASE_URL: '' }), 'GOOTEN_BASE_URL')
    refuses(t, env({ GOOTEN_BASE_URL: 'api.print.io' }), 'GOOTEN_BASE_URL', ['api.print.io'])
  })
})

t.test('API_KEYS', async (t) => {
  // The keys revealed, to compare them.
  const keysOf = (value: string | undefined) => loadConfig(env({ API_KEYS: value })).callerKeys?.map(({ key, ...rest }) => ({ ...rest, key: key.reveal() }))
  const KEY_A = 'a-key-SECRET-0001'
  const KEY_B = 'b-key-SECRET-0002'

  t.test('unset or blank turns caller auth off', async (t) => {
    t.equal(keysOf(undefined), undefined)
    t.equal(keysOf(''), undefined)
    t.equal(keysOf('   '), undefined)
  })

  t.test('entries', async (t) => {
    t.same(keysOf(`a:${KEY_A}`), [{ name: 'a', key: KEY_A, readOnly: false }])
    t.same(keysOf(`b:${KEY_B}:ro`), [{ name: 'b', key: KEY_B, readOnly: true }])
    t.same(keysOf(` app.one_2-x:${KEY_A} , ops:${KEY_B}:ro `), [
      { name: 'app.one_2-x', key: KEY_A, readOnly: false },
      { name: 'ops', key: KEY_B, readOnly: true }
    ], 'spaces around entries are trimmed')
    const longest = 'k'.repeat(256)
    t.same(keysOf(`n:${longest}`), [{ name: 'n', key: longest, readOnly: false }], 'a 256-character key is fine')
  })

  t.test('bad entries', async (t) => {
    const bad = [
      `${KEY_A}`, // no name
      `:${KEY_A}`, // empty name
      'a:', // empty key
      `a:${KEY_A}:rw`, // unknown flag
      `a:${KEY_A}:ro:extra`, // too many parts
      `bad name:${KEY_A}`, // space in the name
      `${'n'.repeat(65)}:${KEY_A}`, // name too long
      `a:${'k'.repeat(257)}`, // key too long
      `a:${KEY_A},`, // trailing empty entry
      `a:${KEY_A} with-space`, // space inside the key
      `a:${KEY_A}:` // empty flag
    ]
    for (const value of bad) refuses(t, env({ API_KEYS: value }), 'API_KEYS', [KEY_A, 'k'.repeat(16)])
  })

  t.test('key shorter than 16 characters', async (t) => {
    refuses(t, env({ API_KEYS: 'a:short-SECRET1' }), 'API_KEYS', ['short-SECRET1'])
    t.same(keysOf('a:exactly-16-chars'), [{ name: 'a', key: 'exactly-16-chars', readOnly: false }], 'exactly 16 is enough')
  })

  t.test('a name with several keys (an overlapping rotation), all read-only or all not', async (t) => {
    t.same(keysOf(`a:${KEY_A},a:${KEY_B}`), [{ name: 'a', key: KEY_A, readOnly: false }, { name: 'a', key: KEY_B, readOnly: false }])
    t.same(keysOf(`a:${KEY_A}:ro\na:${KEY_B}:ro\n`), [{ name: 'a', key: KEY_A, readOnly: true }, { name: 'a', key: KEY_B, readOnly: true }], 'one entry a line')
    refuses(t, env({ API_KEYS: `a:${KEY_A},a:${KEY_B}:ro` }), 'API_KEYS', [KEY_A, KEY_B])
  })

  t.test('a key shaped like an access token is refused: it would be verified as one', async (t) => {
    refuses(t, env({ API_KEYS: 'a:aaaaaaa.bbbbbbbb.ccccccc' }), 'API_KEYS', ['aaaaaaa.bbbbbbbb.ccccccc'])
    t.same(keysOf('a:aaaaaaa.bbbbbbbb.cc.dd'), [{ name: 'a', key: 'aaaaaaa.bbbbbbbb.cc.dd', readOnly: false }], 'four parts are a key')
  })

  t.test('duplicate keys', async (t) => {
    refuses(t, env({ API_KEYS: `a:${KEY_A},b:${KEY_A}:ro` }), 'API_KEYS', [KEY_A])
    t.throws(() => keysOf(`a:${KEY_A},b:${KEY_A}`), { message: /keys must be unique/ })
  })
})

t.test('REDIS_URL', async (t) => {
  t.equal(loadConfig(env({ REDIS_URL: 'redis://localhost:6379' })).redisUrl, 'redis://localhost:6379')
  t.equal(loadConfig(env({ REDIS_URL: 'rediss://user:pw@cache:6380/0' })).redisUrl, 'rediss://user:pw@cache:6380/0')
  refuses(t, env({ REDIS_URL: 'http://user:REDIS-PW-QQ@cache:6379' }), 'REDIS_URL', ['REDIS-PW-QQ'])
  refuses(t, env({ REDIS_URL: 'cache:6379' }), 'REDIS_URL', ['cache:6379'])
})

t.test('several problems: one line naming every one, in order, no values', async (t) => {
  refuses(t, { PORT: 'abc-QQ' }, 'GOOTEN_RECIPE_ID', ['abc-QQ'])
  const environment = {
    GOOTEN_PARTNER_BILLING_KEY: BILLING,
    PORT: '70000',
    LOG_LEVEL: 'loud-QQ',
    REDIS_URL: 'cache:6379',
    GOOTEN_BASE_URL: 'http://gooten.example/path-QQ',
    API_KEYS: 'a:short-QQ'
  }
  const error = t.throws(() => loadConfig(environment)) as ConfigError
  t.equal(error.name, 'ConfigError')
  t.same(error.message.split('; ').map((problem) => problem.split(' ')[0]),
    ['GOOTEN_RECIPE_ID', 'PORT', 'LOG_LEVEL', 'REDIS_URL', 'GOOTEN_BASE_URL', 'API_KEYS'], 'each bad variable named once, in one message')
  for (const value of Object.values(environment)) t.notOk(error.message.includes(value), `no ${JSON.stringify(value)}`)
})

t.test('a check beyond the schema fails alone: its message alone', async (t) => {
  t.throws(() => loadConfig(env({ API_KEYS: 'nonsense' })), { name: 'ConfigError', message: /^API_KEYS must be a list of name:key\[:ro\]/ })
})

t.test('an unexpected failure while reading the environment says nothing of it', async (t) => {
  const environment = {
    ...REQUIRED,
    get PORT (): string { throw new Error(`boom ${BILLING}`) }
  }
  t.throws(() => loadConfig(environment), { name: 'ConfigError', message: 'configuration is invalid' })
})

t.test('OVERLOAD_MAX_EVENT_LOOP_DELAY_MS', async (t) => {
  t.equal(loadConfig(env()).overloadMaxEventLoopDelayMs, 1000)
  t.equal(loadConfig(env({ OVERLOAD_MAX_EVENT_LOOP_DELAY_MS: '0' })).overloadMaxEventLoopDelayMs, 0, '0 turns shedding off')
  refuses(t, env({ OVERLOAD_MAX_EVENT_LOOP_DELAY_MS: '60001' }), 'OVERLOAD_MAX_EVENT_LOOP_DELAY_MS', ['60001'])
  refuses(t, env({ OVERLOAD_MAX_EVENT_LOOP_DELAY_MS: 'slow' }), 'OVERLOAD_MAX_EVENT_LOOP_DELAY_MS', ['slow'])
})

t.test('OIDC_ISSUER and OIDC_AUDIENCE', async (t) => {
  const oidc = { OIDC_ISSUER: 'https://login.example.com/realms/company', OIDC_AUDIENCE: 'https://orders.example.com' }
  t.equal(loadConfig(env()).oidc, undefined, 'unset: tokens are not accepted')
  t.same(loadConfig(env(oidc)).oidc, { issuer: oidc.OIDC_ISSUER, audience: oidc.OIDC_AUDIENCE, jwksCooldownMs: 30000, startupGraceMs: 30000, swaggerClientId: undefined })
  t.match(loadConfig(env({ ...oidc, OIDC_JWKS_COOLDOWN_MS: '0', OIDC_STARTUP_GRACE_MS: '5000', OIDC_SWAGGER_CLIENT_ID: 'docs' })).oidc, { jwksCooldownMs: 0, startupGraceMs: 5000, swaggerClientId: 'docs' })
  t.equal(loadConfig(env({ ...oidc, OIDC_ISSUER: 'http://127.0.0.1:8080/' })).oidc?.issuer, 'http://127.0.0.1:8080/', 'loopback http, kept exactly as given')
  refuses(t, env({ OIDC_ISSUER: oidc.OIDC_ISSUER }), 'OIDC_AUDIENCE')
  refuses(t, env({ OIDC_AUDIENCE: oidc.OIDC_AUDIENCE }), 'OIDC_ISSUER')
  refuses(t, env({ ...oidc, OIDC_ISSUER: 'http://login.example.com' }), 'OIDC_ISSUER')
  refuses(t, env({ ...oidc, OIDC_ISSUER: 'not a url QQ-ISS' }), 'OIDC_ISSUER', ['QQ-ISS'])
  refuses(t, env({ ...oidc, OIDC_ISSUER: 'https://user:QQ-PW@login.example.com' }), 'OIDC_ISSUER', ['QQ-PW'])
  refuses(t, env({ ...oidc, OIDC_ISSUER: 'https://login.example.com?x=1' }), 'OIDC_ISSUER')
  refuses(t, env({ OIDC_SWAGGER_CLIENT_ID: 'docs' }), 'OIDC_SWAGGER_CLIENT_ID')
  refuses(t, env({ ...oidc, OIDC_SWAGGER_CLIENT_ID: 'has space' }), 'OIDC_SWAGGER_CLIENT_ID')
})

t.test('the in-doubt window and the lock-delay: defaults, and the lock-delay derived from the request deadline and the window', async (t) => {
  t.same(loadConfig(env()).locks, { inDoubtMs: 180_000, lockDelayMs: 198_000, safeLockDelayMs: 198_000 })
  t.same(loadConfig(env({ UPSTREAM_TIMEOUT_MS: '2000', CANCEL_IN_DOUBT_MS: '300000' })).locks, { inDoubtMs: 300_000, lockDelayMs: 312_000, safeLockDelayMs: 312_000 })
  t.same(loadConfig(env({ STORE_LOCK_DELAY_MS: '0' })).locks, { inDoubtMs: 180_000, lockDelayMs: 0, safeLockDelayMs: 198_000 }, 'set lower on purpose (tests): taken as given')
  t.throws(() => loadConfig(env({ CANCEL_IN_DOUBT_MS: '50' })), { message: 'CANCEL_IN_DOUBT_MS must be >= 100' })
  t.throws(() => loadConfig(env({ STORE_LOCK_DELAY_MS: '-1' })), { message: 'STORE_LOCK_DELAY_MS must be >= 0' })
})

t.test('a *_FILE that cannot be read is named, its path never printed', async (t) => {
  refuses(t, env({ GOOTEN_RECIPE_ID: undefined, GOOTEN_RECIPE_ID_FILE: '/nonexistent/QQ-PATH/recipe-id' }), 'GOOTEN_RECIPE_ID_FILE', ['QQ-PATH'])
})

t.test('a credential from its variable or its file, not both; an empty file is refused', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'gop-config-'))
  t.teardown(async () => { await rm(dir, { recursive: true, force: true }) })
  const empty = join(dir, 'empty')
  await writeFile(empty, '\n')
  refuses(t, env({ GOOTEN_RECIPE_ID_FILE: empty }), 'GOOTEN_RECIPE_ID_FILE')
  refuses(t, env({ GOOTEN_RECIPE_ID: undefined, GOOTEN_RECIPE_ID_FILE: empty }), 'GOOTEN_RECIPE_ID_FILE')
})
