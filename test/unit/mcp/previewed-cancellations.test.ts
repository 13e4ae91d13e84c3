import t from 'tap'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js'
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js'
import type { CancelOutcome, CancelRequest } from '../../../src/cancellation/types.js'
import { Deadline } from '../../../src/gooten/deadline.js'
import { PreviewedCancellations, type ToolRequest } from '../../../src/mcp/previewed-cancellations.js'
import { mcpServerFor } from '../../../src/mcp/tools.js'
import { MemoryConfirmationStore } from '../../../src/stores/confirmations/memory.js'
import { MemoryIdempotencyStore } from '../../../src/stores/idempotency/memory.js'
import type { IdempotencyStore } from '../../../src/stores/idempotency/types.js'

// The rare paths the HTTP tests cannot reach on purpose: a bug of ours, and a store that fails at the worst moment.

const wouldCancel: CancelOutcome = { orderId: 'o-1', gootenOrderId: 1, outcome: 'dry_run', items: [{ itemId: 7, result: 'would_cancel', previousStatus: 'New' }] }
const cancelled: CancelOutcome = { ...wouldCancel, outcome: 'cancelled', items: [{ itemId: 7, result: 'cancelled', previousStatus: 'New' }] }

function setup (cancel: (request: CancelRequest) => Promise<CancelOutcome>, idempotency: IdempotencyStore = new MemoryIdempotencyStore(10_000)) {
  const logged: Array<{ level: string, fields: object, message: string }> = []
  const log = (level: string) => (fields: object, message: string) => { logged.push({ level, fields, message }) }
  const request: ToolRequest = {
    caller: 'support',
    subject: undefined,
    actor: undefined,
    readOnly: false,
    requestId: 'r-1',
    upstream: { deadline: Deadline.in(1000), log: { debug: () => {}, warn: () => {}, error: () => {} }, calls: [] },
    log: { info: log('info'), warn: log('warn'), error: log('error') }
  }
  const previews = new PreviewedCancellations({
    cancellation: { view: async () => { throw new Error('a bug in the view') }, cancel },
    confirmations: new MemoryConfirmationStore(),
    idempotency,
    confirmationTtlMs: 60_000,
    now: () => 0,
    audit: () => {}
  })
  return { previews, request, logged }
}

t.test('a result that cannot be recorded still goes out, with a warning', async (t) => {
  const store = new MemoryIdempotencyStore(10_000)
  store.complete = async () => { throw new Error('store gone') }
  const { previews, request, logged } = setup(async ({ dryRun }) => dryRun ? wouldCancel : cancelled, store)
  const preview = await previews.preview(request, 'o-1', [7])
  if (!preview.ok || preview.result.confirmation === undefined) throw new Error('no confirmation')
  const confirmed = await previews.confirm(request, preview.result.confirmation, undefined)
  t.match(confirmed, { ok: true, result: { outcome: 'cancelled' } })
  t.match(logged, [{ level: 'warn', message: 'could not record the result of an MCP confirmation' }])
})

t.test('a bug of ours during a confirm: the claim is released and the error goes on', async (t) => {
  let calls = 0
  const { previews, request } = setup(async ({ dryRun }) => {
    if (dryRun) return wouldCancel
    calls++
    if (calls === 1) throw new TypeError('a bug')
    return cancelled
  })
  const preview = await previews.preview(request, 'o-1', [7])
  if (!preview.ok || preview.result.confirmation === undefined) throw new Error('no confirmation')
  await t.rejects(previews.confirm(request, preview.result.confirmation, undefined), TypeError)
  t.match(await previews.confirm(request, preview.result.confirmation, undefined), { ok: true, result: { outcome: 'cancelled' } }, 'the confirmation was not spent')
})

t.test('a release that fails after a retryable error is not a second error', async (t) => {
  const store = new MemoryIdempotencyStore(10_000)
  store.release = async () => { throw new Error('store gone') }
  const { previews, request } = setup(async ({ dryRun }) => {
    if (dryRun) return wouldCancel
    throw new TypeError('a bug')
  }, store)
  const preview = await previews.preview(request, 'o-1', [7])
  if (!preview.ok || preview.result.confirmation === undefined) throw new Error('no confirmation')
  await t.rejects(previews.confirm(request, preview.result.confirmation, undefined), TypeError)
})

t.test('a tool that meets a bug of ours answers INTERNAL_ERROR in our words and logs the stack', async (t) => {
  const { previews, request, logged } = setup(async () => wouldCancel)
  const counted: string[] = []
  const server = mcpServerFor(request, { previews, counted: (tool, outcome) => counted.push(`${tool}:${outcome}`) })
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair()
  await server.connect(serverSide)
  const client = new Client({ name: 'unit', version: '1.0.0' })
  await client.connect(clientSide)
  t.teardown(async () => { await client.close() })
  const result = await client.callTool({ name: 'list_order_items', arguments: { orderId: 'o-1' } }) as CallToolResult
  t.equal(result.isError, true)
  const text = result.content[0]?.type === 'text' ? result.content[0].text : ''
  t.match(text, /Something went wrong on our side.*"code":"INTERNAL_ERROR"/s)
  t.notMatch(text, /a bug in the view/, 'the error\'s own message stays inside')
  t.match(logged, [{ level: 'error', message: 'unhandled error in an MCP tool' }])
  t.same(counted, ['list_order_items:tool_error'])
})
