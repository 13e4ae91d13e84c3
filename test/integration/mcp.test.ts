import t from 'tap'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js'
import { buildApp } from '../../src/app.js'
import { standalone, PreviewInput } from '../../src/mcp/schemas.js'
import { SEED } from '../../src/simulator/seed.js'
import { startSimulator, type Simulator } from '../../src/simulator/server.js'
import { redisForTest } from '../helpers/redis.js'
import { LogCapture, startStack, testConfig, TEST_BILLING_KEY, TEST_RECIPE_ID } from '../helpers/stack.js'

const { demo, mixed } = SEED
const WRITER_KEY = 'writer-key-0123456789abcdef'
const OTHER_KEY = 'other-writer-key-0123456789'
const READER_KEY = 'reader-key-0123456789abcdef'
const API_KEYS = `support:${WRITER_KEY},helpdesk:${OTHER_KEY},dashboard:${READER_KEY}:ro`
const env = { API_KEYS }

interface Teardown { teardown: (fn: () => unknown) => void }

/** The SDK's own client over real HTTP, as an MCP host would connect from the docs. */
async function connect (t: Teardown, url: string, key: string | null = WRITER_KEY): Promise<Client> {
  const client = new Client({ name: 'test-host', version: '1.0.0' })
  const transport = new StreamableHTTPClientTransport(new URL('/mcp', url), {
    requestInit: { headers: key === null ? {} : { authorization: `Bearer ${key}` } }
  })
  await client.connect(transport)
  t.teardown(async () => { await client.close() })
  return client
}

async function call (client: Client, name: string, args: Record<string, unknown>): Promise<CallToolResult> {
  return await client.callTool({ name, arguments: args }) as CallToolResult
}

const textOf = (result: CallToolResult): string => result.content.map((block) => block.type === 'text' ? block.text : '').join('\n')
const structured = (result: CallToolResult): Record<string, unknown> & { items: Array<Record<string, unknown>> } =>
  result.structuredContent as Record<string, unknown> & { items: Array<Record<string, unknown>> }

async function preview (client: Client, orderId: string = demo.safeId, itemIds: number[] = [demo.items.new, demo.items.hold]): Promise<string> {
  const result = await call(client, 'preview_cancellation', { orderId, itemIds })
  const confirmation = structured(result).confirmation
  if (typeof confirmation !== 'string') throw new Error(`no confirmation in ${textOf(result)}`)
  return confirmation
}

/** Gooten moves an item on (into production): it sets the status on its order document. */
function setStatus (sim: Simulator, orderId: string, itemId: number, status: string): void {
  const order = sim.order(orderId)
  if (order === undefined) throw new Error('no such order')
  for (const item of order.Items) {
    if (item.Images?.some((image) => image.OrderItemId === itemId) === true) item.Status = status
  }
  sim.addOrder(order)
}

/** A raw POST to /mcp, for what the SDK's client would never send. */
async function post (url: string, body: string, headers: Record<string, string> = {}): Promise<{ status: number, headers: Headers, body: Record<string, unknown> }> {
  const response = await fetch(`${url}/mcp`, {
    method: 'POST',
    headers: { authorization: `Bearer ${WRITER_KEY}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
    body
  })
  const text = await response.text()
  return { status: response.status, headers: response.headers, body: text === '' ? {} : JSON.parse(text) as Record<string, unknown> }
}

t.test('tools/list: three tools, honest annotations, the rules in their descriptions, the REST schemas', async (t) => {
  const { url } = await startStack(t, { env })
  const client = await connect(t, url)
  t.match(client.getInstructions(), /irreversible.*preview_cancellation, then confirm_cancellation.*explicit yes/s)
  const { tools } = await client.listTools()
  const byName = Object.fromEntries(tools.map((tool) => [tool.name, tool]))
  t.same(Object.keys(byName).sort(), ['confirm_cancellation', 'list_order_items', 'preview_cancellation'])
  t.match(byName.list_order_items?.annotations, { readOnlyHint: true })
  t.match(byName.preview_cancellation?.annotations, { readOnlyHint: true })
  t.match(byName.confirm_cancellation?.annotations, { readOnlyHint: false, destructiveHint: true, idempotentHint: true })
  t.match(byName.preview_cancellation?.description, /MUST show this preview to the person/)
  t.match(byName.confirm_cancellation?.description, /irreversibly/)
  for (const tool of tools) t.match(tool.description, /pre-production|preview/, `${tool.name} states the rules`)
  t.same(Object.keys(byName.confirm_cancellation?.inputSchema.properties ?? {}).sort(), ['confirmation', 'reason'], 'confirm takes no item ids')
  const { $schema: _dialect, ...announced } = byName.preview_cancellation?.inputSchema as Record<string, unknown>
  t.same(announced, standalone(PreviewInput), 'the input schema announced is the TypeBox one')
  t.ok(byName.confirm_cancellation?.outputSchema, 'output schemas are announced')
})

t.test('list, preview and confirm end to end; the audit line says MCP; the confirmation never reaches a log', async (t) => {
  const { url, sim, logs, app } = await startStack(t, { env })
  const client = await connect(t, url)

  const listed = await call(client, 'list_order_items', { orderId: demo.safeId })
  t.notOk(listed.isError)
  t.match(structured(listed), { orderId: demo.safeId, gootenOrderId: demo.gootenId })
  t.match(structured(listed).items.find((item) => item.itemId === demo.items.new), { status: 'New', cancellable: true })

  const previewed = await call(client, 'preview_cancellation', { orderId: demo.safeId, itemIds: [demo.items.new, demo.items.hold] })
  t.notOk(previewed.isError)
  const shown = structured(previewed)
  t.match(shown, { outcome: 'dry_run', items: [{ itemId: demo.items.new, result: 'would_cancel', previousStatus: 'New' }, { itemId: demo.items.hold, result: 'would_cancel' }] })
  t.type(shown.confirmation, 'string')
  t.ok(Date.parse(String(shown.confirmationExpiresAt)) > Date.now(), 'expires in the future')
  t.match(textOf(previewed), /nothing was cancelled yet.*Show the person/s)
  t.equal(sim.callCount('cancelItems'), 0, 'a preview forwards nothing')

  const confirmed = await call(client, 'confirm_cancellation', { confirmation: shown.confirmation, reason: 'customer asked in chat' })
  t.notOk(confirmed.isError, textOf(confirmed))
  t.match(structured(confirmed), {
    orderId: demo.safeId,
    outcome: 'cancelled',
    items: [{ itemId: demo.items.new, result: 'cancelled', previousStatus: 'New' }, { itemId: demo.items.hold, result: 'cancelled', previousStatus: 'Hold' }]
  })
  t.equal(structured(confirmed).replayed, undefined)
  t.equal(sim.callCount('cancelItems'), 1)

  t.match(logs.find('cancel audit'), [
    { via: 'mcp', caller: 'support', orderId: demo.safeId, dryRun: true, outcome: 'dry_run', reason: null },
    { via: 'mcp', caller: 'support', orderId: demo.safeId, itemIds: [demo.items.new, demo.items.hold], dryRun: false, outcome: 'cancelled', reason: 'customer asked in chat' }
  ])
  const access = logs.find('request finished').filter((line) => line.route === '/mcp')
  t.ok(access.some((line) => JSON.stringify(line.mcp) === '["confirm_cancellation:ok"]' && line.caller === 'support' && line.status === 200), 'the access line names the tool')
  t.ok(access.some((line) => line.mcp === undefined), 'and names none for a request that called none (initialize)')
  const metrics = await (await app.inject({ url: '/metrics' })).body
  t.match(metrics, /mcp_tool_calls_total\{tool="confirm_cancellation",outcome="ok"\} 1/)
  t.match(metrics, /http_requests_total\{method="POST",route="\/mcp",status="200"\}/)
  const logged = logs.raw.join('\n')
  t.notOk(logged.includes(String(shown.confirmation)), 'the confirmation is not in any log line')
  for (const secret of [WRITER_KEY, TEST_BILLING_KEY, TEST_RECIPE_ID]) t.notOk(logged.includes(secret), 'no secret in any log line')
})

t.test('a confirmation used again replays its first result and never reaches Gooten twice', async (t) => {
  const { url, sim } = await startStack(t, { env })
  const client = await connect(t, url)
  const confirmation = await preview(client)
  const first = await call(client, 'confirm_cancellation', { confirmation })
  const again = await call(client, 'confirm_cancellation', { confirmation })
  t.same({ ...structured(again), replayed: undefined }, { ...structured(first), replayed: undefined }, 'the same result, request id included')
  t.equal(structured(again).replayed, true)
  t.match(textOf(again), /already used.*Nothing was sent to Gooten again/)
  t.equal(sim.callCount('cancelItems'), 1)

  // A refusal is kept and replayed too: the confirmation is spent either way.
  const second = await preview(client, mixed.safeId, [mixed.items.new])
  setStatus(sim, mixed.safeId, mixed.items.new, 'InProduction')
  const refused = await call(client, 'confirm_cancellation', { confirmation: second })
  setStatus(sim, mixed.safeId, mixed.items.new, 'New')
  const refusedAgain = await call(client, 'confirm_cancellation', { confirmation: second })
  t.equal(refusedAgain.isError, true)
  t.equal(textOf(refusedAgain), textOf(refused))
  t.equal(sim.callCount('cancelItems'), 1)
})

t.test('an item moved to production after the preview: nothing is forwarded, and the result says why', async (t) => {
  const { url, sim } = await startStack(t, { env })
  const client = await connect(t, url)
  const confirmation = await preview(client)
  setStatus(sim, demo.safeId, demo.items.hold, 'InProduction')
  const result = await call(client, 'confirm_cancellation', { confirmation })
  t.equal(result.isError, true)
  t.match(textOf(result), /no longer cancellable/)
  t.match(textOf(result), /"code":"ITEMS_NOT_CANCELLABLE"/)
  t.match(textOf(result), new RegExp(`"itemId":${demo.items.hold},"result":"failed","previousStatus":"InProduction"`))
  t.match(textOf(result), new RegExp(`"itemId":${demo.items.new},"result":"not_attempted"`))
  t.equal(sim.callCount('cancelItems'), 0, 'nothing was forwarded')
})

t.test('two concurrent confirms of one preview: one upstream cancel', async (t) => {
  const { url, sim } = await startStack(t, { env })
  const client = await connect(t, url)
  const confirmation = await preview(client)
  sim.enqueueFault({ kind: 'delay', op: 'cancelItems', ms: 200 })
  const results = await Promise.all([1, 2, 3].map(async () => await call(client, 'confirm_cancellation', { confirmation })))
  t.equal(sim.callCount('cancelItems'), 1)
  t.equal(results.filter((result) => result.isError !== true && structured(result).outcome === 'cancelled').length, 1, 'one carried it out')
  for (const result of results.filter((answer) => answer.isError === true)) t.match(textOf(result), /being carried out by another call/)
})

t.test('two replicas sharing Redis: a preview on one, confirms on both at once, one upstream cancel', async (t) => {
  const { url: redisUrl } = await redisForTest(t)
  const sim = await startSimulator({ recipeId: TEST_RECIPE_ID, partnerBillingKey: TEST_BILLING_KEY })
  t.teardown(async () => { await sim.close() })
  const replicas = await Promise.all([1, 2].map(async () => {
    const app = await buildApp({ config: testConfig({ GOOTEN_BASE_URL: sim.url, REDIS_URL: redisUrl, API_KEYS }), logStream: new LogCapture().stream })
    t.teardown(async () => { await app.close() })
    return await app.listen({ host: '127.0.0.1', port: 0 })
  }))
  const [onA, onB] = await Promise.all(replicas.map(async (url) => await connect(t, url)))
  if (onA === undefined || onB === undefined) throw new Error('two clients')
  const confirmation = await preview(onA)
  sim.enqueueFault({ kind: 'delay', op: 'cancelItems', ms: 200 })
  const results = await Promise.all([onA, onB, onA, onB].map(async (client) => await call(client, 'confirm_cancellation', { confirmation })))
  t.equal(sim.callCount('cancelItems'), 1)
  t.equal(results.filter((result) => result.isError !== true).length, 1, 'one carried it out; the others were told it is in use')
  const replay = await call(onB, 'confirm_cancellation', { confirmation })
  t.equal(structured(replay).replayed, true, 'the other replica replays the first result')
  t.equal(sim.callCount('cancelItems'), 1)
  t.match(textOf(await call(onB, 'confirm_cancellation', { confirmation: `${confirmation}x` })), /"code":"CONFIRMATION_UNKNOWN"/)
})

t.test('refused in our words: another caller\'s confirmation, a read-only caller, an unknown one', async (t) => {
  const { url, sim } = await startStack(t, { env })
  const owner = await connect(t, url)
  const confirmation = await preview(owner)
  const other = await call(await connect(t, url, OTHER_KEY), 'confirm_cancellation', { confirmation })
  t.equal(other.isError, true)
  t.match(textOf(other), /issued to another caller.*"code":"CONFIRMATION_OF_ANOTHER_CALLER"/s)

  const reader = await connect(t, url, READER_KEY)
  const readOnly = await call(reader, 'confirm_cancellation', { confirmation })
  t.equal(readOnly.isError, true)
  t.match(textOf(readOnly), /read-only.*"code":"READ_ONLY_CALLER"/s)
  const readerPreview = await call(reader, 'preview_cancellation', { orderId: demo.safeId, itemIds: [demo.items.new] })
  t.notOk(readerPreview.isError, 'a read-only caller may preview')
  t.match(structured(readerPreview), { outcome: 'dry_run', items: [{ result: 'would_cancel' }] })
  t.equal(structured(readerPreview).confirmation, undefined, 'but gets no confirmation it could not use')
  t.match(textOf(readerPreview), /nothing to confirm for this caller/)

  const unknown = await call(owner, 'confirm_cancellation', { confirmation: 'made-up-by-a-model' })
  t.match(textOf(unknown), /not one this service issued.*"code":"CONFIRMATION_UNKNOWN"/s)
  t.equal(sim.callCount('cancelItems'), 0)
  const mine = await call(owner, 'confirm_cancellation', { confirmation })
  t.equal(structured(mine).outcome, 'cancelled', 'the owner still can')
})

t.test('a confirmation expires (injected clock); nothing is cancelled', async (t) => {
  let now = Date.parse('2026-12-03T10:00:00Z')
  const { url, sim } = await startStack(t, { env: { ...env, MCP_CONFIRMATION_TTL_MS: '60000' }, app: { now: () => now } })
  const client = await connect(t, url)
  const result = await call(client, 'preview_cancellation', { orderId: demo.safeId, itemIds: [demo.items.new] })
  t.equal(structured(result).confirmationExpiresAt, '2026-12-03T10:01:00.000Z')
  now += 60_000
  const expired = await call(client, 'confirm_cancellation', { confirmation: structured(result).confirmation })
  t.equal(expired.isError, true)
  t.match(textOf(expired), /has expired.*"code":"CONFIRMATION_EXPIRED"/s)
  t.equal(sim.callCount('cancelItems'), 0)
  now -= 1
  const justInTime = await call(client, 'confirm_cancellation', { confirmation: structured(result).confirmation })
  t.equal(structured(justInTime).outcome, 'cancelled', 'an expired attempt did not spend it')
})

t.test('bad arguments are tool errors and reach nothing upstream', async (t) => {
  const { url, sim } = await startStack(t, { env })
  const client = await connect(t, url)
  const cases: Array<[string, Record<string, unknown>]> = [
    ['preview_cancellation', { orderId: demo.safeId, itemIds: [] }],
    ['preview_cancellation', { orderId: demo.safeId, itemIds: [demo.items.new, demo.items.new] }],
    ['preview_cancellation', { orderId: '../admin', itemIds: [demo.items.new] }],
    ['preview_cancellation', { orderId: demo.safeId, itemIds: [demo.items.new], extra: true }],
    ['list_order_items', { orderId: 42 }],
    ['confirm_cancellation', { confirmation: '' }],
    ['confirm_cancellation', { confirmation: 'x', itemIds: [demo.items.new] }],
    ['confirm_cancellation', { confirmation: 'x', reason: 'r'.repeat(501) }],
    ['cancel_everything', {}]
  ]
  for (const [name, args] of cases) {
    const result = await call(client, name, args)
    t.equal(result.isError, true, `${name} ${JSON.stringify(args).slice(0, 60)}`)
  }
  t.equal(sim.calls.length, 0)
})

t.test('an order Gooten does not know, and a Gooten that fails: tool errors in our words', async (t) => {
  const { url, sim } = await startStack(t, { env })
  const client = await connect(t, url)
  const missing = await call(client, 'list_order_items', { orderId: 'no-such-order' })
  t.match(textOf(missing), /Gooten has no order with this id.*"code":"ORDER_NOT_FOUND"/s)
  const confirmation = await preview(client)
  // A cancel call answered 503: its effect unknown until the lookup after it shows the items still New.
  sim.enqueueFault({ kind: 'status', op: 'cancelItems', status: 503 })
  const failed = await call(client, 'confirm_cancellation', { confirmation })
  t.equal(failed.isError, true)
  t.match(textOf(failed), /"code":"UPSTREAM_UNAVAILABLE"/)
  const retried = await call(client, 'confirm_cancellation', { confirmation })
  t.notOk(retried.isError, 'a 5xx did not spend the confirmation')
  t.match(structured(retried), { outcome: 'cancelled' })
})

t.test('malformed JSON-RPC: JSON-RPC errors with 4xx, never 5xx, nothing upstream', async (t) => {
  const { url, sim } = await startStack(t, { env })
  const cases: Array<{ name: string, body: string, headers?: Record<string, string>, status: number, code: number }> = [
    { name: 'not JSON', body: '{"jsonrpc":"2.0",', status: 400, code: -32700 },
    { name: 'empty body', body: '', status: 400, code: -32700 },
    { name: 'prototype poisoning', body: '{"__proto__":{"x":1},"jsonrpc":"2.0","id":1,"method":"tools/list"}', status: 400, code: -32700 },
    { name: 'JSON but not JSON-RPC', body: '{"hello":"world"}', status: 400, code: -32700 },
    { name: 'wrong jsonrpc version', body: '{"jsonrpc":"1.0","id":1,"method":"tools/list"}', status: 400, code: -32700 },
    { name: 'no event-stream in Accept', body: '{"jsonrpc":"2.0","id":1,"method":"tools/list"}', headers: { accept: 'application/json' }, status: 406, code: -32000 },
    { name: 'unknown protocol version', body: '{"jsonrpc":"2.0","id":1,"method":"tools/list"}', headers: { 'mcp-protocol-version': '1999-01-01' }, status: 400, code: -32000 }
  ]
  for (const testCase of cases) {
    const answer = await post(url, testCase.body, testCase.headers)
    t.equal(answer.status, testCase.status, testCase.name)
    t.match(answer.body, { jsonrpc: '2.0', id: null, error: { code: testCase.code } }, testCase.name)
  }
  const unknownMethod = await post(url, '{"jsonrpc":"2.0","id":7,"method":"orders/cancelAll"}')
  t.match(unknownMethod.body, { jsonrpc: '2.0', id: 7, error: { code: -32601 } }, 'an unknown method is a JSON-RPC error')
  const notification = await post(url, '{"jsonrpc":"2.0","method":"notifications/initialized"}')
  t.equal(notification.status, 202, 'a notification is accepted without a body')
  for (const method of ['GET', 'DELETE']) {
    const response = await fetch(`${url}/mcp`, { method, headers: { authorization: `Bearer ${WRITER_KEY}`, accept: 'text/event-stream' } })
    t.equal(response.status, 405, method)
    t.equal(response.headers.get('allow'), 'POST')
    t.match(await response.json(), { jsonrpc: '2.0', error: { code: -32000 } })
  }
  const textPlain = await post(url, '{"jsonrpc":"2.0","id":1,"method":"tools/list"}', { 'content-type': 'text/plain' })
  t.equal(textPlain.status, 415)
  t.equal(sim.calls.length, 0)
})

t.test('no key: 401 with WWW-Authenticate; a web page\'s Origin: 403; the SDK client sees the 401', async (t) => {
  const { url, sim } = await startStack(t, { env })
  const body = '{"jsonrpc":"2.0","id":1,"method":"tools/list"}'
  const noKey = await post(url, body, { authorization: '' })
  t.equal(noKey.status, 401)
  t.equal(noKey.headers.get('www-authenticate'), 'Bearer realm="gooten-order-proxy"')
  t.match(noKey.body, { code: 'UNAUTHORIZED' })
  const wrongKey = await post(url, body, { authorization: 'Bearer not-a-key-of-anyone-here' })
  t.equal(wrongKey.status, 401)
  const fromPage = await post(url, body, { origin: 'https://evil.example' })
  t.equal(fromPage.status, 403)
  t.match(fromPage.body, { code: 'FORBIDDEN', detail: /web pages/ })
  await t.rejects(connect(t, url, null), /401/)
  t.equal(sim.calls.length, 0)
})

t.test('rate limits and the deadline apply to /mcp', async (t) => {
  const { url, sim } = await startStack(t, { env: { ...env, RATE_LIMIT_PER_MINUTE: '4', UPSTREAM_TIMEOUT_MS: '300' } })
  // Connecting takes three requests: initialize, the initialized notification, and a GET for an event stream (405).
  const client = await connect(t, url)
  sim.enqueueFault({ kind: 'delay', op: 'getOrder', ms: 2000 })
  const slow = await call(client, 'list_order_items', { orderId: demo.safeId })
  t.match(textOf(slow), /"code":"UPSTREAM_TIMEOUT"/, 'a Gooten slower than the deadline is a tool error')
  const limited = await post(url, '{"jsonrpc":"2.0","id":1,"method":"tools/list"}')
  t.equal(limited.status, 429)
  t.match(limited.body, { code: 'RATE_LIMITED' })
})

t.test('Redis away: a preview or confirm says so and nothing is cancelled', async (t) => {
  const { RedisServer } = await import('../helpers/redis.js')
  const redis = await RedisServer.start(t)
  const { url, sim } = await startStack(t, { env: { ...env, REDIS_URL: redis.url } })
  const client = await connect(t, url)
  const confirmation = await preview(client)
  await redis.stop()
  const confirm = await call(client, 'confirm_cancellation', { confirmation })
  t.match(textOf(confirm), /"code":"STORE_UNAVAILABLE"/)
  const another = await call(client, 'preview_cancellation', { orderId: demo.safeId, itemIds: [demo.items.new] })
  t.match(textOf(another), /"code":"STORE_UNAVAILABLE"/)
  t.equal(sim.callCount('cancelItems'), 0)
})
