import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import t from 'tap'
import { parse } from 'yaml'
import { ENVIRONMENT_VARIABLES, loadConfig } from '../../src/config.js'

// No Docker engine runs here, so these check what can be checked: structure, and that what the
// files start is what CI's production smoke starts.
const root = new URL('../../', import.meta.url)
const read = async (path: string): Promise<string> => await readFile(new URL(path, root), 'utf8')

interface Service {
  image?: string
  build?: string
  init?: boolean
  command?: string[]
  profiles?: string[]
  environment?: Record<string, string>
  env_file?: Array<{ path: string, required: boolean }>
  healthcheck?: { test: string[] }
  depends_on?: Record<string, { condition: string }>
  ports?: string[]
  volumes?: string[]
}

/** Compose's `${NAME:-default}` with nothing set in the shell: the default. */
const withDefaults = (environment: Record<string, string>): Record<string, string> =>
  Object.fromEntries(Object.entries(environment).map(([name, value]) => [name, value.replace(/\$\{[A-Z_]+:-([^}]*)\}/g, '$1')]))

t.test('Dockerfile: multi-stage, Node 24 LTS pinned by digest, production dependencies only, non-root, healthcheck, exec-form CMD', async (t) => {
  const dockerfile = await read('Dockerfile')
  const stages = [...dockerfile.matchAll(/^FROM (node:(\d+)[^ ]*) AS (\w+)$/gm)]
  t.same(stages.map((stage) => stage[3]), ['build', 'runtime'])
  t.ok(stages.every((stage) => Number(stage[2]) >= 24), 'Node 24 LTS or newer')
  t.ok(stages.every((stage) => /@sha256:[0-9a-f]{64}$/.test(stage[1] ?? '')), 'every FROM pinned by digest')
  const runtime = dockerfile.slice(dockerfile.indexOf('AS runtime'))
  t.match(runtime, /NODE_ENV=production/)
  t.match(runtime, /RUN npm ci --omit=dev/)
  t.match(runtime, /COPY --from=build \/app\/dist \.\/dist/)
  t.match(runtime, /^USER node$/m)
  t.match(runtime, /^HEALTHCHECK .*\n?.*\/health\/ready/m)
  // The V8 heap flags of `npm start`, which the bench measures the service with, are the image's too.
  const { scripts } = JSON.parse(await read('package.json')) as { scripts: { start: string } }
  const started = scripts.start.split(' ')
  t.equal(started.at(-1), 'dist/server.js')
  t.match(runtime, new RegExp(`^CMD ${JSON.stringify(started).replaceAll(',', ', ').replace(/[[\]]/g, '\\$&')}$`, 'm'), 'CMD runs what npm start runs')
  t.ok(started.includes('--max-semi-space-size=4') && started.includes('--max-old-space-size=96'), 'the heap flags the memory limit is derived from')
  t.ok(existsSync(new URL('src/server.ts', root)), 'dist/server.js is built from src/server.ts')
  const dockerignore = await read('.dockerignore')
  for (const entry of ['node_modules', '.env', '.git']) t.match(dockerignore, new RegExp(`^${entry.replace('.', '\\.')}$`, 'm'))
})

/** Compose's merge of an overlay file: mappings (environment, depends_on) merge key by key, the rest is replaced. */
function overlay (base: Record<string, Service>, extra: Record<string, Service>): Record<string, Service> {
  const merged: Record<string, Service> = structuredClone(base)
  for (const [name, service] of Object.entries(extra)) {
    const into = merged[name] ?? {}
    merged[name] = {
      ...into,
      ...service,
      environment: { ...into.environment, ...service.environment },
      depends_on: { ...into.depends_on, ...service.depends_on }
    }
  }
  return merged
}

t.test('docker-compose.yml: two replicas behind a gateway, sharing Redis, against Gooten over https', async (t) => {
  const { services } = parse(await read('docker-compose.yml'), { merge: true }) as { services: Record<string, Service> }
  t.same(Object.keys(services).sort(), ['gateway', 'proxy-1', 'proxy-2', 'redis'])

  for (const name of ['proxy-1', 'proxy-2']) {
    const proxy = services[name] as Service
    t.equal(proxy.init, true, `${name}: init`)
    t.equal(proxy.build, '.', `${name}: built from the Dockerfile`)
    t.same(proxy.env_file, [{ path: '.env', required: false }], `${name}: env_file`)
    t.match(proxy.healthcheck?.test.join(' '), /\/health\/ready/, `${name}: healthcheck`)
    t.same(proxy.depends_on, { redis: { condition: 'service_healthy' } })
    t.equal(proxy.environment?.REDIS_URL, 'redis://redis:6379')
    // With the credentials an operator puts in .env, the replica's environment is a configuration the service accepts.
    const config = loadConfig({ ...withDefaults(proxy.environment ?? {}), GOOTEN_RECIPE_ID: 'from-env-file', GOOTEN_PARTNER_BILLING_KEY: 'from-env-file' })
    t.equal(config.gooten.baseUrl, 'https://api.print.io', `${name}: real Gooten by default`)
    t.equal(proxy.environment?.GOOTEN_ALLOW_PLAIN_HTTP, undefined, `${name}: no plain http without the simulator overlay`)
  }

  const gateway = services.gateway as Service
  t.same(gateway.ports, ['3000:8080'])
  t.same(Object.keys(gateway.depends_on ?? {}).sort(), ['proxy-1', 'proxy-2'])
  const nginx = await read('deploy/nginx.conf')
  t.match(nginx, /server proxy-1:3000/)
  t.match(nginx, /server proxy-2:3000/)
  t.match(nginx, /listen 8080;/)
  // TRUST_PROXY=true believes X-Forwarded-For: the gateway must set it to the client's address, not append to the client's own.
  t.equal(services['proxy-1']?.environment?.TRUST_PROXY, 'true')
  t.match(nginx, /proxy_set_header X-Forwarded-For \$remote_addr;/)
  t.ok(gateway.volumes?.[0]?.startsWith('./deploy/nginx.conf:'), 'the gateway uses the committed nginx.conf')
  t.match(services.redis?.healthcheck?.test.join(' '), /redis-cli ping/)
})

t.test('docker-compose.simulator.yml: the replicas use the simulator, by an explicit plain-http opt-in', async (t) => {
  const base = parse(await read('docker-compose.yml'), { merge: true }) as { services: Record<string, Service> }
  const extra = parse(await read('docker-compose.simulator.yml'), { merge: true }) as { services: Record<string, Service> }
  const services = overlay(base.services, extra.services)
  t.same(Object.keys(services).sort(), ['gateway', 'gooten-simulator', 'proxy-1', 'proxy-2', 'redis'])
  const simulator = services['gooten-simulator'] as Service
  t.same(simulator.command, ['node', 'dist/simulator/main.js'])
  t.equal(simulator.build, '.', 'built from the same Dockerfile')
  t.ok(existsSync(new URL('src/simulator/main.ts', root)), 'dist/simulator/main.js is built from src/simulator/main.ts')
  for (const name of ['proxy-1', 'proxy-2']) {
    const proxy = services[name] as Service
    t.same(Object.keys(proxy.depends_on ?? {}).sort(), ['gooten-simulator', 'redis'], `${name}: waits for both`)
    const config = loadConfig(withDefaults(proxy.environment ?? {}))
    t.same([config.gooten.baseUrl, config.gooten.plainHttp], ['http://gooten-simulator:4010', true], `${name}: the simulator, in plain http`)
    t.equal(config.gooten.recipeId.reveal(), simulator.environment?.GOOTEN_RECIPE_ID, `${name}: the simulator's credentials`)
    t.equal(config.gooten.partnerBillingKey.reveal(), simulator.environment?.GOOTEN_PARTNER_BILLING_KEY)
  }
})

t.test('.env.example lists every variable the service reads', async (t) => {
  const example = await read('.env.example')
  for (const variable of ENVIRONMENT_VARIABLES) t.match(example, new RegExp(`^#? ?${variable}=`, 'm'), variable)
})
