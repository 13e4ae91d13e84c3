import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import t from 'tap'

const root = new URL('../../', import.meta.url).pathname
const exec = promisify(execFile)

interface LintProblem { ruleId: string, severity: 'error' | 'warn', message: string, location: Array<{ pointer: string }> }
interface MediaType { example?: unknown, examples?: Record<string, unknown> }
interface Operation {
  parameters?: Array<{ in: string, name: string }>
  responses: Record<string, { content?: Record<string, MediaType> }>
  requestBody?: { content: Record<string, MediaType> }
  security?: Array<Record<string, string[]>>
}
interface Document {
  paths: Record<string, Record<string, Operation>>
  components: { securitySchemes: Record<string, { type: string, scheme?: string }> }
}

/** `npm run lint:openapi` with the committed redocly.yaml, as a JSON report. */
async function lint (...files: string[]): Promise<{ code: number, problems: LintProblem[] }> {
  const cli = join(root, 'node_modules/@redocly/cli/bin/cli.js')
  const args = [cli, 'lint', ...files, '--config', join(root, 'redocly.yaml'), '--format', 'json']
  const options = { cwd: root, env: { ...process.env, REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' } }
  const { code, stdout } = await exec(process.execPath, args, options)
    .then(({ stdout }) => ({ code: 0, stdout }), (error: { code: number, stdout: string }) => error)
  return { code, problems: (JSON.parse(stdout) as { problems: LintProblem[] }).problems }
}

const describe = (problem: LintProblem): string => `${problem.ruleId} at ${problem.location[0]?.pointer ?? '?'}`

const committed = async (): Promise<Document> => JSON.parse(await readFile(join(root, 'openapi/openapi.json'), 'utf8')) as Document

t.test('redocly lint: no errors and no warnings', async (t) => {
  const { code, problems } = await lint()
  t.same(problems.map(describe), [])
  t.equal(code, 0)
})

t.test('the ruleset catches a document that breaks it', async (t) => {
  const document = await committed()
  const cancel = document.paths['/orders/{orderId}/items/cancel']?.post as Operation
  delete cancel.responses['200']?.content?.['application/json']?.examples
  const internal = cancel.responses['500']?.content as Record<string, MediaType>
  internal['application/json'] = internal['application/problem+json'] as MediaType
  delete internal['application/problem+json']
  delete (cancel as { security?: unknown }).security
  const dir = await mkdtemp(join(tmpdir(), 'gop-lint-'))
  t.teardown(async () => await rm(dir, { recursive: true, force: true }))
  const broken = join(dir, 'openapi.json')
  await writeFile(broken, JSON.stringify(document))
  const { code, problems } = await lint(broken)
  t.not(code, 0, 'lint fails')
  const rules = new Set(problems.filter((problem) => problem.severity === 'error').map((problem) => problem.ruleId))
  for (const rule of ['rule/every-body-has-an-example', 'rule/errors-are-problem-details', 'rule/orders-routes-need-the-caller-key', 'security-defined']) {
    t.ok(rules.has(rule), rule)
  }
})

t.test('what no lint rule can say: header parameters and non-empty examples', async (t) => {
  const document = await committed()
  t.match(document.components.securitySchemes.bearerAuth, { type: 'http', scheme: 'bearer' })
  t.same(Object.keys(document.components.securitySchemes), ['bearerAuth'], 'no scheme that depends on the deployment (the sign-in is added when served)')
  t.same(document.paths['/orders/{orderId}/items']?.get?.security, [{ bearerAuth: ['orders:read'] }])
  t.same(document.paths['/orders/{orderId}/items/cancel']?.post?.security, [{ bearerAuth: ['orders:cancel'] }])
  for (const [path, item] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(item)) {
      const headers = (operation.parameters ?? []).filter((parameter) => parameter.in === 'header').map((parameter) => parameter.name)
      if (path.startsWith('/orders/')) t.ok(headers.includes('x-request-id'), `${method} ${path} takes X-Request-Id`)
      if (method === 'post') t.ok(headers.includes('idempotency-key'), `${method} ${path} takes Idempotency-Key`)
      const bodies = [
        ...Object.entries(operation.requestBody?.content ?? {}).map(([type, media]) => [`request ${type}`, media] as const),
        ...Object.entries(operation.responses).flatMap(([status, response]) =>
          Object.entries(response.content ?? {}).map(([type, media]) => [`${status} ${type}`, media] as const))
      ]
      for (const [name, media] of bodies) {
        t.ok(media.example !== undefined || Object.keys(media.examples ?? {}).length > 0, `${method} ${path} ${name} has an example`)
      }
    }
  }
})
