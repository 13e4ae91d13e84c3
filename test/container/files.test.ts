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
  build?: string | { context: string, target?: string }
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

interface Instruction { keyword: string, args: string }
interface Stage { name: string, from: string, instructions: Instruction[] }

/**
 * A Dockerfile as Docker reads it: comments and blank lines dropped, continued lines joined, each
 * instruction split into its keyword and arguments, and grouped into stages by FROM.
 */
function parseDockerfile (text: string): Stage[] {
  const instructions = text.replace(/\\\n/g, ' ').split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line): Instruction => {
      const [keyword = '', ...rest] = line.split(/\s+/)
      return { keyword: keyword.toUpperCase(), args: rest.join(' ') }
    })
  const stages: Stage[] = []
  for (const instruction of instructions) {
    if (instruction.keyword === 'FROM') {
      const [from = '', as, name = ''] = instruction.args.split(' ')
      stages.push({ name: as?.toUpperCase() === 'AS' ? name : '', from, instructions: [] })
    } else {
      stages.at(-1)?.instructions.push(instruction)
    }
  }
  return stages
}

/** The arguments of every instruction of this keyword in a stage. */
const argsOf = (stage: Stage | undefined, keyword: string): string[] =>
  (stage?.instructions ?? []).filter((instruction) => instruction.keyword === keyword).map((instruction) => instruction.args)

/** An nginx configuration as its directives, e.g. `listen 8080`: comments dropped, split at ; { and }. */
const nginxDirectives = (text: string): string[] =>
  text.replace(/#.*$/gm, '').split(/[;{}]/).map((directive) => directive.trim().replace(/\s+/g, ' ')).filter((directive) => directive !== '')

t.test('Dockerfile: multi-stage, Node 24 LTS pinned by digest, production dependencies only, non-root, healthcheck, exec-form CMD', async (t) => {
  const stages = parseDockerfile(await read('Dockerfile'))
  const byName = new Map(stages.map((stage) => [stage.name, stage]))
  t.same(stages.map((stage) => stage.name), ['build', 'simulator-build', 'simulator', 'runtime'], 'the runtime last: a plain build makes it')
  for (const stage of stages.filter((stage) => !byName.has(stage.from))) {
    t.match(stage.from, /^node:(\d+)[^@]*@sha256:[0-9a-f]{64}$/, `${stage.name}: pinned by digest`)
    t.ok(Number(/^node:(\d+)/.exec(stage.from)?.[1]) >= 24, `${stage.name}: Node 24 LTS or newer`)
  }
  t.equal(byName.get('simulator-build')?.from, 'build', 'the simulator is compiled on top of the service\'s build')

  const runtime = byName.get('runtime')
  t.ok(argsOf(runtime, 'ENV').some((env) => env.split(' ').includes('NODE_ENV=production')), 'NODE_ENV=production')
  t.ok(argsOf(runtime, 'RUN').some((run) => run.startsWith('npm ci --omit=dev')), 'production dependencies only')
  t.same(argsOf(runtime, 'COPY').filter((copy) => copy.startsWith('--from=')), ['--from=build /app/dist ./dist'], 'only the service\'s build')
  t.same(argsOf(runtime, 'USER'), ['node'])
  t.match(argsOf(runtime, 'HEALTHCHECK')[0], '/health/ready')
  // The V8 heap flags of `npm start`, which the bench measures the service with, are the image's too.
  const { scripts } = JSON.parse(await read('package.json')) as { scripts: { start: string } }
  t.same(JSON.parse(argsOf(runtime, 'CMD')[0] ?? 'null'), scripts.start.split(' '), 'exec form of what npm start runs')
  t.ok(scripts.start.includes('--max-semi-space-size=4 --max-old-space-size=96'), 'the heap flags the memory limit is derived from')
  t.ok(existsSync(new URL('src/server.ts', root)), 'dist/server.js is built from src/server.ts')

  // The build stage compiles the service's project, which leaves the simulator and demo out.
  t.same(argsOf(byName.get('build'), 'RUN').at(-1), 'npm run build:service')
  const pkg = JSON.parse(await read('package.json')) as { scripts: Record<string, string> }
  t.match(pkg.scripts['build:service'], 'tsc -p tsconfig.build.json')
  const buildProject = JSON.parse(await read('tsconfig.build.json')) as { include: string[], exclude: string[] }
  t.same(buildProject.exclude, ['src/simulator', 'src/demo.ts'])

  const simulator = byName.get('simulator')
  t.same(argsOf(simulator, 'COPY').filter((copy) => copy.startsWith('--from=')), ['--from=simulator-build /app/dist/simulator ./dist/simulator'])
  t.same(argsOf(simulator, 'USER'), ['node'])
  t.same(JSON.parse(argsOf(simulator, 'CMD')[0] ?? 'null'), ['node', 'dist/simulator/main.js'])

  const dockerignore = new Set((await read('.dockerignore')).split('\n'))
  for (const entry of ['node_modules', '.env', '.git']) t.ok(dockerignore.has(entry), `.dockerignore: ${entry}`)
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
  const nginx = nginxDirectives(await read('deploy/nginx.conf'))
  t.ok(nginx.some((directive) => directive.startsWith('server proxy-1:3000')), 'proxy-1 upstream')
  t.ok(nginx.some((directive) => directive.startsWith('server proxy-2:3000')), 'proxy-2 upstream')
  t.ok(nginx.includes('listen 8080'), 'listens on 8080')
  // TRUST_PROXY=true believes X-Forwarded-For: the gateway must set it to the client's address, not append to the client's own.
  t.equal(services['proxy-1']?.environment?.TRUST_PROXY, 'true')
  t.ok(nginx.includes('proxy_set_header X-Forwarded-For $remote_addr'), 'X-Forwarded-For replaced')
  t.ok(gateway.volumes?.[0]?.startsWith('./deploy/nginx.conf:'), 'the gateway uses the committed nginx.conf')
  t.match(services.redis?.healthcheck?.test.join(' '), /redis-cli ping/)
})

t.test('docker-compose.simulator.yml: the replicas use the simulator, by an explicit plain-http opt-in', async (t) => {
  const base = parse(await read('docker-compose.yml'), { merge: true }) as { services: Record<string, Service> }
  const extra = parse(await read('docker-compose.simulator.yml'), { merge: true }) as { services: Record<string, Service> }
  const services = overlay(base.services, extra.services)
  t.same(Object.keys(services).sort(), ['gateway', 'gooten-simulator', 'proxy-1', 'proxy-2', 'redis'])
  const simulator = services['gooten-simulator'] as Service
  t.same(simulator.build, { context: '.', target: 'simulator' }, 'the Dockerfile\'s simulator target')
  t.not(simulator.image, services['proxy-1']?.image, 'an image of its own')
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
