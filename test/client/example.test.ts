import { execFile } from 'node:child_process'
import { copyFile, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import t, { type Test } from 'tap'
import ts from 'typescript'
import { cancelItems, connect, ProblemAnswer } from '../../examples/client.js'
import { SEED } from '../../src/simulator/seed.js'
import { startStack } from '../helpers/stack.js'

const run = promisify(execFile)
const root = new URL('../../', import.meta.url).pathname
const { demo, mixed } = SEED

/**
 * The types `npm run client` writes, generated the same way (openapi-typescript's command with
 * redocly.yaml) in a temporary copy: the test never reads or overwrites openapi/schema.d.ts, which
 * is generated on demand and not committed.
 */
async function generatedTypes (t: Test): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'gop-client-'))
  t.teardown(async () => await rm(dir, { recursive: true, force: true }))
  await mkdir(join(dir, 'openapi'))
  await copyFile(join(root, 'redocly.yaml'), join(dir, 'redocly.yaml'))
  await copyFile(join(root, 'openapi/openapi.json'), join(dir, 'openapi/openapi.json'))
  await run(process.execPath, [join(root, 'node_modules/openapi-typescript/bin/cli.js')], { cwd: dir })
  return await readFile(join(dir, 'openapi/schema.d.ts'), 'utf8')
}

/**
 * Type errors of examples/ (compiled with examples/tsconfig.json) plus `extra` files placed there,
 * with openapi/schema.d.ts read from `types` instead of the disk.
 */
function typeErrors (types: string, extra: Record<string, string> = {}): string[] {
  const parsed = ts.getParsedCommandLineOfConfigFile(join(root, 'examples/tsconfig.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} })
  if (parsed === undefined) throw new Error('examples/tsconfig.json cannot be read')
  const virtual = new Map<string, string>([[join(root, 'openapi/schema.d.ts'), types]])
  for (const [name, text] of Object.entries(extra)) virtual.set(join(root, 'examples', name), text)
  const host = ts.createCompilerHost(parsed.options)
  const { fileExists, readFile: read, getSourceFile } = host
  host.fileExists = (name) => virtual.has(name) || fileExists(name)
  host.readFile = (name) => virtual.get(name) ?? read(name)
  host.getSourceFile = (name, version, ...rest) => {
    const text = virtual.get(name)
    return text === undefined ? getSourceFile(name, version, ...rest) : ts.createSourceFile(name, text, version)
  }
  const roots = [...parsed.fileNames, ...Object.keys(extra).map((name) => join(root, 'examples', name))]
  const program = ts.createProgram(roots, parsed.options, host)
  return ts.getPreEmitDiagnostics(program).map((diagnostic) => ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'))
}

t.test('the example and the README\'s Typed client snippet compile against the types generated from openapi/openapi.json', async (t) => {
  const readme = await readFile(join(root, 'README.md'), 'utf8')
  const snippet = /```ts\n([\s\S]*?)```/.exec(readme.slice(readme.indexOf('## Typed client')))?.[1]
  if (snippet === undefined) throw new Error('no ts block under ## Typed client')
  const types = await generatedTypes(t)
  t.same(typeErrors(types, { 'readme-snippet.ts': snippet }), [], 'no type errors')

  // The same compilation does check calls against the document: an undocumented body is refused.
  const wrong = snippet.replace('itemIds: [6924457, 6924458]', 'itemIds: [\'6924457\']')
  t.not(wrong, snippet, 'the snippet sends the documented item ids')
  t.match(typeErrors(types, { 'readme-snippet.ts': wrong }).join('\n'), /not assignable to type 'number'/)
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
