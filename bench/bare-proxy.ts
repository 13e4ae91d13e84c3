// The bare-proxy floor: a measuring stick for `npm run bench`, not a product. It does the upstream
// work of the service's routes with nothing else: node:http in, an undici Pool out (the service's
// pool settings), JSON.parse and a shape check, no framework, logging, metrics, security headers,
// rate limit, deadline, lock, bulkhead, retry or circuit breaker. What the service costs above it
// is the price of those duties. FLOOR_FRAMEWORK=fastify serves the same calls behind Fastify and
// pino instead: the required stack's own cost. The bench transpiles this file and runs it with
// plain node, the way the service runs from its build; see bench/README.md.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { FastifyReply } from 'fastify'
import { Pool } from 'undici'

const env = (name: string): string => {
  const value = process.env[name]
  if (value === undefined || value === '') throw new Error(`${name} is required`)
  return value
}

// As src/plugins/gooten.ts builds its pool, and src/gooten/client.ts its query strings.
const pool = new Pool(env('GOOTEN_BASE_URL'), {
  connections: Number(process.env.UPSTREAM_MAX_IN_FLIGHT ?? 32),
  connect: { timeout: 2000 },
  keepAliveTimeout: 4000,
  keepAliveMaxTimeout: 4000
})
const recipeQuery = `recipeid=${encodeURIComponent(env('GOOTEN_RECIPE_ID'))}`
const credentials = `${recipeQuery}&partnerBillingKey=${encodeURIComponent(env('GOOTEN_PARTNER_BILLING_KEY'))}`

// The service's pre-production and cancelled statuses (src/cancellation/status-policy.ts), without
// its spelling normalisation.
const CANCELLABLE = new Set(['New', 'Hold', 'Pending', 'ReadyForAccounting', 'ReadyForImageDI', 'ReadyForImageDl',
  'NeedsManualApproval', 'NeedsPersonalization', 'NeedsCustomization', 'AccountingIssue', 'AddressIssue', 'ImageIssue', 'HoldByCIImageIssue'])
const CANCELLED = new Set(['Cancelled', 'Canceled', 'CanceledRefunded', 'CancelledRefunded'])

interface OrderDocument {
  Id?: string
  GootenId?: number
  Items: Array<{ OrderItemId?: number, Sku?: string, Quantity?: number, Status: string, Images?: Array<{ OrderItemId?: number }> }>
}

/** What a route answers: the front end (node:http or Fastify) sends it. */
interface Answer { status: number, body: unknown }

const contentTypeOf = (status: number): string => status < 400 ? 'application/json' : 'application/problem+json'

function answer (res: ServerResponse, { status, body }: Answer): void {
  const text = JSON.stringify(body)
  res.writeHead(status, { 'content-type': contentTypeOf(status), 'content-length': Buffer.byteLength(text) })
  res.end(text)
}

async function gooten (method: 'GET' | 'PUT', path: string, body?: string): Promise<{ status: number, json: unknown }> {
  const response = await pool.request({
    method,
    path,
    headers: body === undefined ? { accept: 'application/json' } : { accept: 'application/json', 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body }),
    headersTimeout: 5000,
    bodyTimeout: 5000
  })
  return { status: response.statusCode, json: JSON.parse(await response.body.text()) }
}

async function lookup (orderId: string): Promise<OrderDocument> {
  const { status, json } = await gooten('GET', `/api/v/5/source/api/orders?id=${encodeURIComponent(orderId)}&${recipeQuery}`)
  if (status !== 200) throw new Error(`lookup answered ${status}`)
  return json as OrderDocument
}

const itemsOf = (order: OrderDocument): Array<{ itemId: number | undefined, status: string, sku: string | undefined, quantity: number | undefined }> =>
  order.Items.map((item) => ({ itemId: item.OrderItemId ?? item.Images?.[0]?.OrderItemId, status: item.Status, sku: item.Sku, quantity: item.Quantity }))

async function readBody (req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

function itemIdsOf (body: unknown): number[] | undefined {
  const ids = (body as { itemIds?: unknown } | null)?.itemIds
  return Array.isArray(ids) && ids.length > 0 && ids.every((id) => Number.isSafeInteger(id) && id > 0) ? ids as number[] : undefined
}

function parseJson (text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

async function cancel (orderId: string, body: unknown): Promise<Answer> {
  const itemIds = itemIdsOf(body)
  if (itemIds === undefined) return { status: 400, body: { code: 'VALIDATION_FAILED' } }
  const order = await lookup(orderId)
  const statusById = new Map(itemsOf(order).map((item) => [item.itemId, item.status]))
  const planned = itemIds.map((itemId) => ({ itemId, previousStatus: statusById.get(itemId) }))
  if (planned.some((item) => item.previousStatus === undefined)) return { status: 422, body: { code: 'ITEMS_NOT_IN_ORDER' } }
  if (planned.some((item) => !CANCELLABLE.has(item.previousStatus as string) && !CANCELLED.has(item.previousStatus as string))) {
    return { status: 409, body: { code: 'ITEMS_NOT_CANCELLABLE' } }
  }
  const toForward = planned.filter((item) => !CANCELLED.has(item.previousStatus as string)).map((item) => item.itemId)
  let succeeded = new Set<number>()
  if (toForward.length > 0) {
    const { json } = await gooten('PUT', `/api/orderCancel?orderId=${order.GootenId ?? 0}&${credentials}`, JSON.stringify({ Ids: toForward }))
    const reply = json as { HadError?: boolean, Success?: number[] }
    succeeded = new Set(reply.HadError === false ? reply.Success : [])
    if (toForward.some((itemId) => !succeeded.has(itemId))) return { status: 502, body: { code: 'UPSTREAM_BAD_RESPONSE' } }
  }
  return {
    status: 200,
    body: {
      orderId: order.Id ?? orderId,
      gootenOrderId: order.GootenId,
      outcome: 'cancelled',
      items: planned.map(({ itemId, previousStatus }) => ({ itemId, result: succeeded.has(itemId) ? 'cancelled' : 'already_cancelled', previousStatus }))
    }
  }
}

async function view (orderId: string): Promise<Answer> {
  const order = await lookup(orderId)
  const items = itemsOf(order).map((item) => ({ ...item, cancellable: CANCELLABLE.has(item.status) }))
  return { status: 200, body: { orderId: order.Id ?? orderId, gootenOrderId: order.GootenId, items } }
}

const FAILED: Answer = { status: 502, body: { code: 'UPSTREAM_FAILED' } }
const host = env('HOST')
const port = Number(env('PORT'))

/** node:http in: nothing between the socket and the two calls. */
function serveBare (): void {
  const ROUTE = /^\/orders\/([^/?]+)\/items(\/cancel)?$/
  const server = createServer((req, res) => {
    const match = ROUTE.exec(req.url ?? '')
    const orderId = match === null ? '' : decodeURIComponent(match[1] as string)
    const work = match !== null && req.method === 'POST' && match[2] !== undefined
      ? readBody(req).then((text) => cancel(orderId, parseJson(text)))
      : match !== null && req.method === 'GET' && match[2] === undefined
        ? view(orderId)
        : Promise.resolve({ status: req.url === '/health/ready' ? 200 : 404, body: {} })
    // Any failure is a 502: the bench counts it as an unexpected answer.
    work.then((done) => { answer(res, done) }, () => { if (!res.headersSent) answer(res, FAILED) })
  })
  server.listen(port, host, () => { console.log(`bare proxy listening on ${host}:${port}`) })
}

/**
 * The fixed stack's own floor (FLOOR_FRAMEWORK=fastify): the same calls behind Fastify's router and
 * JSON body parser, with pino writing one line per request, and nothing else the service does.
 */
async function serveFastify (): Promise<void> {
  const { default: Fastify } = await import('fastify')
  const app = Fastify({ logger: { level: 'info' }, disableRequestLogging: true })
  const send = (reply: FastifyReply, done: Answer): FastifyReply => reply.code(done.status).type(contentTypeOf(done.status)).send(done.body)
  app.addHook('onResponse', (request, reply, done) => {
    request.log.info({ method: request.method, route: request.routeOptions.url, status: reply.statusCode, ms: reply.elapsedTime }, 'request finished')
    done()
  })
  app.post<{ Params: { orderId: string } }>('/orders/:orderId/items/cancel', async (request, reply) =>
    send(reply, await cancel(request.params.orderId, request.body).catch(() => FAILED)))
  app.get<{ Params: { orderId: string } }>('/orders/:orderId/items', async (request, reply) =>
    send(reply, await view(request.params.orderId).catch(() => FAILED)))
  app.get('/health/ready', async () => ({}))
  await app.listen({ port, host })
}

if (process.env.FLOOR_FRAMEWORK === 'fastify') await serveFastify()
else serveBare()
// Nothing to drain: the bench stops it between scenarios.
process.once('SIGTERM', () => process.exit(0))
