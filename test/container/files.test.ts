import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import t from 'tap'
import { parse } from 'yaml'
import { loadConfig } from '../../src/config.js'

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
  network_mode?: string
  depends_on?: Record<string, { condition: string }>
  ports?: string[]
  volumes?: string[]
}

/** Compose's `${NAME:-default}` with nothing set in the shell: the default. */
const withDefaults = (environment: Record<string, string>): Record<string, string> =>
  Object.fromEntries(Object.entries(environment).map(([name, value]) => [name, value.replace(/\$\{[A-Z_]+:-([^}]*)\}/g, '$1')]))

t.test('Dockerfile: multi-stage, Node 22+, production dependencies only, non-root, healthcheck, exec-form CMD', async (t) => {
  const dockerfile = await read('Dockerfile')
  const stages = [...dockerfile.matchAll(/^FROM (node:(\d+)[^ ]*) AS (\w+)$/gm)]
  t.same(stages.map((stage) => stage[3]), ['build', 'runtime'])
  t.ok(stages.every((stage) => Number(stage[2]) >= 22), 'Node 22 LTS or newer')
  const runtime = dockerfile.slice(dockerfile.indexOf('AS runtime'))
  t.match(runtime, /NODE_ENV=production/)
  t.match(runtime, /RUN npm ci --omit=dev/)
  t.match(runtime, /COPY --from=build \/app\/dist \.\/dist/)
  t.match(runtime, /^USER node$/m)
  t.match(runtime, /^HEALTHCHECK .*\n?.*\/health\/ready/m)
  t.match(runtime, /^CMD \["node", "dist\/server\.js"\]$/m)
  t.ok(existsSync(new URL('src/server.ts', root)), 'dist/server.js is built from src/server.ts')
  const dockerignore = await read('.dockerignore')
  for (const entry of ['node_modules', '.env', '.git']) t.match(dockerignore, new RegExp(`^${entry.replace('.', '\\.')}$`, 'm'))
})

t.test('docker-compose.yml: two replicas behind a gateway, sharing Redis; the simulator opt-in', async (t) => {
  const compose = parse(await read('docker-compose.yml'), { merge: true }) as { services: Record<string, Service> }
  const { services } = compose
  t.same(Object.keys(services).sort(), ['gateway', 'gooten-simulator', 'proxy-1', 'proxy-2', 'redis', 'simulator-link-1', 'simulator-link-2'])

  for (const name of ['proxy-1', 'proxy-2']) {
    const proxy = services[name] as Service
    t.equal(proxy.init, true, `${name}: init`)
    t.equal(proxy.build, '.', `${name}: built from the Dockerfile`)
    t.same(proxy.env_file, [{ path: '.env', required: false }], `${name}: env_file`)
    t.match(proxy.healthcheck?.test.join(' '), /\/health\/ready/, `${name}: healthcheck`)
    t.same(proxy.depends_on, { redis: { condition: 'service_healthy' } })
    t.equal(proxy.environment?.REDIS_URL, 'redis://redis:6379')
    // The environment compose gives the replica must be one the service accepts.
    t.doesNotThrow(() => loadConfig(withDefaults(proxy.environment ?? {})), `${name}: its environment is a valid configuration`)
  }

  const gateway = services.gateway as Service
  t.same(gateway.ports, ['3000:8080'])
  t.same(Object.keys(gateway.depends_on ?? {}).sort(), ['proxy-1', 'proxy-2'])
  const nginx = await read('deploy/nginx.conf')
  t.match(nginx, /server proxy-1:3000/)
  t.match(nginx, /server proxy-2:3000/)
  t.match(nginx, /listen 8080;/)
  t.ok(gateway.volumes?.[0]?.startsWith('./deploy/nginx.conf:'), 'the gateway uses the committed nginx.conf')

  t.match(services.redis?.healthcheck?.test.join(' '), /redis-cli ping/)

  const simulator = services['gooten-simulator'] as Service
  t.same(simulator.profiles, ['simulator'], 'the simulator is opt-in')
  t.same(simulator.command, ['node', 'dist/simulator/main.js'])
  t.ok(existsSync(new URL('src/simulator/main.ts', root)), 'dist/simulator/main.js is built from src/simulator/main.ts')
  for (const [link, proxy] of [['simulator-link-1', 'proxy-1'], ['simulator-link-2', 'proxy-2']] as const) {
    t.equal(services[link]?.network_mode, `service:${proxy}`, `${link} listens on ${proxy}'s loopback`)
    t.same(services[link]?.profiles, ['simulator'])
  }
  t.equal(withDefaults(services['proxy-1']?.environment ?? {}).GOOTEN_BASE_URL, 'http://127.0.0.1:4010', 'by default the replicas use the simulator link')
})

t.test('.env.example lists every variable the service reads', async (t) => {
  const example = await read('.env.example')
  const config = await read('src/config.ts')
  const schemaBlock = config.slice(config.indexOf('const EnvSchema'), config.indexOf('})\ntype Env'))
  const variables = [...schemaBlock.matchAll(/^ {2}([A-Z][A-Z_]+):/gm)].map((match) => match[1] as string)
  t.ok(variables.length >= 15)
  for (const variable of variables) t.match(example, new RegExp(`^#? ?${variable}=`, 'm'), variable)
})
