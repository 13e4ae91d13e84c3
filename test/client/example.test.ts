import { execFile } from 'node:child_process'
import { copyFile, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import t from 'tap'
import ts from 'typescript'
import { cancelItems, connect, ProblemAnswer } from '../../examples/client.js'
import { SEED } from '../../src/simulator/seed.js'
import { startStack } from '../helpers/stack.js'

const run = promisify(execFile)
const root = new URL('../../', import.meta.url).pathname
const require = createRequire(import.meta.url)
const { demo, mixed } = SEED

t.test('openapi/schema.d.ts is what npm run client generates from openapi/openapi.json', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'gop-client-'))
  t.teardown(async () => await rm(dir, { recursive: true, force: true }))
  await mkdir(join(dir, 'openapi'))
  await copyFile(join(root, 'redocly.yaml'), join(dir, 'redocly.yaml'))
  await copyFile(join(root, 'openapi/openapi.json'), join(dir, 'openapi/openapi.json'))
  // The same command as `npm run client`, in a copy, so a stale committed file is not overwritten.
  await run(process.execPath, [join(root, 'node_modules/openapi-typescript/bin/cli.js')], { cwd: dir })
  const generated = await readFile(join(dir, 'openapi/schema.d.ts'), 'utf8')
  t.equal(generated, await readFile(join(root, 'openapi/schema.d.ts'), 'utf8'), 'up to date (run npm run client)')
})

t.test('the example compiles against the generated types', async (t) => {
  const tsc = require.resolve('typescript/bin/tsc')
  const result = await run(process.execPath, [tsc, '--noEmit', '-p', 'examples/tsconfig.json'], { cwd: root })
    .then(() => ({ code: 0, stdout: '' }), (error: { code: number, stdout: string }) => error)
  t.equal(result.stdout, '', 'no type errors')
  t.equal(result.code, 0)
})

t.test('the README\'s Typed client snippet compiles against the generated types', async (t) => {
  const readme = await readFile(join(root, 'README.md'), 'utf8')
  const snippet = /```ts\n([\s\S]*?)```/.exec(readme.slice(readme.indexOf('## Typed client')))?.[1]
  if (snippet === undefined) throw new Error('no ts block under ## Typed client')
  // Compiled as if it were a file in examples/, with examples/tsconfig.json, without writing it there.
  const parsed = ts.getParsedCommandLineOfConfigFile(join(root, 'examples/tsconfig.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} })
  const file = join(root, 'examples/readme-snippet.ts')
  const options = parsed?.options ?? {}
  const host = ts.createCompilerHost(options)
  const { fileExists, readFile: read, getSourceFile } = host
  host.fileExists = (name) => name === file || fileExists(name)
  host.readFile = (name) => name === file ? snippet : read(name)
  host.getSourceFile = (name, version, ...rest) => name === file ? ts.createSourceFile(name, snippet, version) : getSourceFile(name, version, ...rest)
  const program = ts.createProgram([file], options, host)
  const errors = ts.getPreEmitDiagnostics(program).map((diagnostic) => ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'))
  t.same(errors, [], 'no type errors')
})

t.test('the example cancels items, dry-runs, and throws the problem the service answers', async (t) => {
  const { url, sim } = await startStack(t, { env: { API_KEYS: 'support:support-key-0123456789' } })
  const client = connect(url, 'support-key-0123456789')

  const dryRun = await cancelItems(client, demo.safeId, [demo.items.new], { dryRun: true })
  t.equal(dryRun.outcome, 'dry_run')
  const result = await cancelItems(client, demo.safeId, [demo.items.new, demo.items.hold], { reason: 'customer request', idempotencyKey: 'example-1' })
  t.equal(result.outcome, 'cancelled')
  t.same(result.items.map((item) => item.result), ['cancelled', 'cancelled'])
  t.equal(sim.callCount('cancelItems'), 1)

  const refused = await cancelItems(client, mixed.safeId, [mixed.items.shipped]).catch((error: unknown) => error)
  t.ok(refused instanceof ProblemAnswer)
  t.match((refused as ProblemAnswer).problem, { status: 409, code: 'ITEMS_NOT_CANCELLABLE' })

  const anonymous = await cancelItems(connect(url), demo.safeId, [demo.items.new]).catch((error: unknown) => error)
  t.match((anonymous as ProblemAnswer).problem, { status: 401, code: 'UNAUTHORIZED' })
})
