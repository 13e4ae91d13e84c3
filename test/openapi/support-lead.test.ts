// The OpenAPI document alone must tell a support lead which items can be cancelled and what each
// answer means: checked on the committed document, which /docs serves and Swagger UI shows.
import { readFile } from 'node:fs/promises'
import t from 'tap'
import { CANCELLABLE_STATUSES, CANCELLED_STATUSES } from '../../src/cancellation/status-policy.js'
import { ITEM_RESULT_MEANINGS, OUTCOME_MEANINGS } from '../../src/cancellation/types.js'

interface Schema { enum?: string[], description?: string, properties?: Record<string, Schema> }
interface Response { headers?: Record<string, unknown>, content?: Record<string, { examples?: Record<string, { value: { outcome: string } }> }> }
interface Document {
  info: { description: string }
  paths: Record<string, Record<string, { description: string, responses: Record<string, Response> }>>
  components: { schemas: Record<string, Schema> }
}

const document = JSON.parse(await readFile(new URL('../../openapi/openapi.json', import.meta.url), 'utf8')) as Document
const cancel = document.paths['/orders/{orderId}/items/cancel']?.post
if (cancel === undefined) throw new Error('no cancel operation in the document')

/** The lines of a described enum's description that explain `value`. */
const explained = (schema: Schema | undefined, value: string): string[] =>
  (schema?.description ?? '').split('\n').filter((line) => line.startsWith(`- \`${value}\`: `) && line.length > value.length + 12)

t.test('the cancel operation lists every cancellable status and every already-cancelled one, from the status policy', async (t) => {
  for (const status of [...CANCELLABLE_STATUSES, ...CANCELLED_STATUSES]) t.match(cancel.description, `\`${status}\``, status)
  t.notMatch(cancel.description, /`(InProduction|Shipped)`/, 'statuses past pre-production are not listed as cancellable')
})

t.test('every outcome and every item result is explained in the schema, one line each', async (t) => {
  const outcome = document.components.schemas.CancelResult?.properties?.outcome
  const result = document.components.schemas.ItemResult?.properties?.result
  t.same(outcome?.enum, Object.keys(OUTCOME_MEANINGS))
  t.same(result?.enum, Object.keys(ITEM_RESULT_MEANINGS))
  for (const value of outcome?.enum ?? []) t.equal(explained(outcome, value).length, 1, `outcome ${value}`)
  for (const value of result?.enum ?? []) t.equal(explained(result, value).length, 1, `result ${value}`)
})

t.test('the 200 answer has one short example per outcome, and the intro names them', async (t) => {
  const examples = cancel.responses['200']?.content?.['application/json']?.examples ?? {}
  t.same(Object.values(examples).map((example) => example.value.outcome).sort(), Object.keys(OUTCOME_MEANINGS).sort())
  for (const outcome of Object.keys(OUTCOME_MEANINGS)) t.match(document.info.description, `\`${outcome}\``)
})

t.test('headers a caller acts on are listed where it acts on them, not under every problem', async (t) => {
  const listed = (status: string): string[] => Object.keys(cancel.responses[status]?.headers ?? {}).sort()
  t.same(listed('200'), ['Idempotency-Replayed', 'RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset', 'X-Request-Id'])
  t.same(listed('429'), ['RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset', 'Retry-After'])
  t.same(listed('401'), ['WWW-Authenticate'])
  t.same(listed('422'), [], 'a problem carries its request id as requestId')
  t.match(JSON.stringify(document.components), 'The request id (yours when safe to echo, else generated), on every answer')
})
