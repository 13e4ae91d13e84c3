/**
 * The Gooten API simulator: a plain node:http server that plays Gooten's
 * order endpoints with Gooten's shapes, keeps state, and misbehaves on cue.
 *
 * Gooten routes (path matched case-insensitively, as IIS does; query names too):
 * - `GET /api/v/5/source/api/orders[/]?id=<safe id | GootenId>&recipeid=…`
 * - `PUT /api/orderCancel[/]?orderId=<GootenId>&recipeid=…&partnerBillingKey=…` body `{"Ids":[…]}`
 * - `POST /api/updateOrder/<GootenId>/CancelItems[/]?recipeid=…&partnerBillingKey=…` (legacy, same semantics)
 * A known path with another method is 405 (ASP.NET `Message` body); any other
 * path is IIS's HTML 404. Both are recorded as op `other` and never take faults.
 *
 * Per Gooten call: record the call, take the first matching fault, read the
 * whole body, wait `latencyMs`, then play the fault or answer normally.
 *
 * Control routes (JSON, no credentials): `POST /__sim/reset`,
 * `POST|GET /__sim/faults`, `GET /__sim/calls`, `GET /__sim/stats`,
 * `POST /__sim/orders`, `GET /__sim/orders/:id`, `GET|POST /__sim/fresh-order`.
 */
import { createServer } from 'node:http'
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { FaultError, FaultQueue } from './faults.js'
import type { Fault, FaultOp } from './faults.js'
import {
  cancelItems,
  faultReply,
  getOrder,
  json,
  methodNotAllowed,
  NOT_FOUND_HTML,
  parseCancelIds,
  parseQuery
} from './gooten.js'
import type { GootenContext, NotFoundStyle, Params, Recancel, Reply } from './gooten.js'
import { OrderStore, orderDocumentProblem } from './store.js'
import type { GootenOrderDocument } from './types.js'

export const DEFAULT_RECIPE_ID = 'sim-recipe-id'
export const DEFAULT_PARTNER_BILLING_KEY = 'sim+billing/key=='

export interface SimulatorOptions {
  /** Default `127.0.0.1`. */
  host?: string
  /** Default 0 (ephemeral). */
  port?: number
  /** Default `sim-recipe-id`. */
  recipeId?: string
  /** Default `sim+billing/key==` (contains `+ / =` on purpose). */
  partnerBillingKey?: string
  /** Added to every Gooten call (not to control routes). Default 0. */
  latencyMs?: number
  /** How an unknown order is answered, on lookup and on cancel. Default `'404'`. */
  notFoundStyle?: NotFoundStyle
  /** Re-cancelling an already-cancelled item: listed in Success (default) or refused in Errors. */
  recancel?: Recancel
  /** `server.keepAliveTimeout`, default 5000. */
  keepAliveTimeoutMs?: number
  /** Fresh orders kept before the oldest are dropped. Default 10000. */
  maxFreshOrders?: number
  /** Entries kept in `calls` before the oldest are dropped (counts stay exact). Default 50000. */
  maxCalls?: number
  /** Largest request body accepted; beyond it the socket is destroyed. Default 1 MiB. */
  maxBodyBytes?: number
}

export type SimOp = FaultOp | 'other'

export interface SimCall {
  op: SimOp
  method: string
  /** Request path, without the query string. */
  path: string
  /** The order id as sent: `id` on lookup, `orderId` (or the legacy path segment) on cancel. */
  orderId?: string
  /** The cancel body's `Ids`, when the body was valid. */
  itemIds?: number[]
  /** `Date.now()` at arrival. */
  at: number
}

export interface SimStats {
  /** Sockets open right now (control-route connections included). */
  openConnections: number
  /** High-water mark of `openConnections` since start or the last reset. */
  maxOpenConnections: number
  /** Requests whose client went away before the answer was sent. */
  abortedRequests: number
}

export interface SimCallCounts {
  getOrder: number
  cancelItems: number
  other: number
}

export interface Simulator {
  /** Origin, e.g. `http://127.0.0.1:41234`. */
  url: string
  port: number
  recipeId: string
  partnerBillingKey: string
  /** Queue one fault or several (validated first; throws `FaultError` on a malformed one). */
  enqueueFault: (fault: Fault | Fault[]) => void
  /** Faults still queued (`times: -1` = forever). */
  pendingFaults: () => Fault[]
  /** Restore the seeds, clear faults, calls and stats. */
  reset: () => void
  /** Every Gooten call received, oldest first (the live array; capped at `maxCalls`). */
  readonly calls: SimCall[]
  /** Calls of one op, or of all ops (`other` included) when omitted. Exact even beyond `maxCalls`. */
  callCount: (op?: SimOp) => number
  /** How many cancel calls changed state. */
  readonly cancelsApplied: number
  stats: () => SimStats
  /** A deep copy of the current document, by Safe Order ID or numeric GootenId. */
  order: (idOrGootenId: string) => GootenOrderDocument | undefined
  /** Store (a deep copy of) an order, replacing one with the same Id or GootenId. */
  addOrder: (doc: GootenOrderDocument) => void
  /** Create a new cancellable order (two `New` items, never-seen ids), as `GET /__sim/fresh-order` does. */
  freshOrder: () => GootenOrderDocument
  /** Close the server and destroy every open socket, hanging requests included. */
  close: () => Promise<void>
}

const ORDERS = '/api/v/5/source/api/orders'
const ORDERS_SLASH = ORDERS + '/'
const ORDER_CANCEL = '/api/ordercancel'
const ORDER_CANCEL_SLASH = ORDER_CANCEL + '/'
const LEGACY_PREFIX = '/api/updateorder/'
const LEGACY_SUFFIX = '/cancelitems'
const CONTROL_PREFIX = '/__sim/'
const CONTROL_ORDERS_PREFIX = '/__sim/orders/'
const EMPTY = Buffer.alloc(0)
const INTERNAL_ERROR = json(500, { Message: 'An error has occurred.' })
const NO_BODY = Promise.resolve(EMPTY)

/** The `{orderId}` of `/api/updateOrder/{orderId}/CancelItems[/]`, or undefined. */
function legacyOrderId (path: string, lower: string): string | undefined {
  if (!lower.startsWith(LEGACY_PREFIX)) return undefined
  const end = lower.endsWith('/') ? lower.length - 1 : lower.length
  if (!lower.startsWith(LEGACY_SUFFIX, end - LEGACY_SUFFIX.length)) return undefined
  const id = path.slice(LEGACY_PREFIX.length, end - LEGACY_SUFFIX.length)
  return id.includes('/') ? undefined : id
}

/** One request/response pair, tracked so an early client exit is noticed. */
interface Exchange {
  req: IncomingMessage
  res: ServerResponse
  /** The response closed (answered, or the client left). */
  closed: boolean
  /** We destroyed the socket on purpose: not an abort. */
  ours: boolean
}

function send (ex: Exchange, reply: Reply, connectionClose = false): void {
  const headers: OutgoingHttpHeaders = {
    'content-type': reply.contentType,
    'content-length': Buffer.byteLength(reply.body)
  }
  if (reply.retryAfter !== undefined) headers['retry-after'] = reply.retryAfter
  if (connectionClose) headers.connection = 'close'
  ex.res.writeHead(reply.status, headers)
  ex.res.end(reply.body)
}

/**
 * A handler threw (e.g. an order added from JS holds a value JSON cannot
 * encode). Handlers send last, so nothing has been sent yet: answer 500
 * like ASP.NET.
 */
function failed (ex: Exchange): () => void {
  return () => send(ex, INTERNAL_ERROR)
}

function destroy (ex: Exchange): void {
  ex.ours = true
  ex.req.socket.destroy()
}

/** Resolves true after `ms`, or false as soon as the client goes away. */
function pause (ex: Exchange, ms: number): Promise<boolean> {
  return new Promise(resolve => {
    const onClose = (): void => {
      clearTimeout(timer)
      resolve(false)
    }
    const timer = setTimeout(() => {
      ex.res.off('close', onClose)
      resolve(!ex.closed)
    }, ms)
    ex.res.once('close', onClose)
  })
}

/**
 * The whole request body, or undefined when the client went away or the body
 * is over `limit` (then the socket is destroyed). Requests without a body
 * resolve at once.
 */
function readBody (ex: Exchange, limit: number): Promise<Buffer | undefined> {
  const { req } = ex
  const length = req.headers['content-length']
  if (req.headers['transfer-encoding'] === undefined && (length === undefined || length === '0')) return NO_BODY
  if (Number(length) > limit) {
    destroy(ex)
    return Promise.resolve(undefined)
  }
  return new Promise(resolve => {
    const chunks: Buffer[] = []
    let size = 0
    const fail = (): void => resolve(undefined)
    req.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > limit) {
        req.removeAllListeners('data')
        destroy(ex)
        fail()
      } else {
        chunks.push(chunk)
      }
    })
    req.once('end', () => resolve(Buffer.concat(chunks, size)))
    req.once('error', fail)
    req.once('close', fail)
  })
}

const controlError = (status: number, error: string): Reply => json(status, { error })
const CONTROL_NOT_FOUND = controlError(404, 'unknown control route')
const OK = json(200, { ok: true })

function parseJson (body: Buffer): { value: unknown } | undefined {
  try {
    return { value: JSON.parse(body.toString('utf8')) }
  } catch {
    return undefined
  }
}

export async function startSimulator (options: SimulatorOptions = {}): Promise<Simulator> {
  const host = options.host ?? '127.0.0.1'
  const latencyMs = options.latencyMs ?? 0
  const maxCalls = options.maxCalls ?? 50_000
  const maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024
  const store = new OrderStore(options.maxFreshOrders ?? 10_000)
  const faults = new FaultQueue()
  const ctx: GootenContext = {
    store,
    recipeId: options.recipeId ?? DEFAULT_RECIPE_ID,
    partnerBillingKey: options.partnerBillingKey ?? DEFAULT_PARTNER_BILLING_KEY,
    notFoundStyle: options.notFoundStyle ?? '404',
    recancel: options.recancel ?? 'success'
  }
  const calls: SimCall[] = []
  const counts: SimCallCounts = { getOrder: 0, cancelItems: 0, other: 0 }
  const sockets = new Set<Socket>()
  let cancelsApplied = 0
  let maxOpenConnections = 0
  let abortedRequests = 0

  const record = (call: SimCall): void => {
    counts[call.op]++
    calls.push(call)
    // Trim in batches so the cap costs O(1) amortised.
    if (calls.length > maxCalls) calls.splice(0, calls.length - maxCalls + Math.ceil(maxCalls / 10))
  }

  const reset = (): void => {
    store.reset()
    faults.clear()
    calls.length = 0
    counts.getOrder = counts.cancelItems = counts.other = 0
    cancelsApplied = 0
    abortedRequests = 0
    maxOpenConnections = sockets.size
  }

  const stats = (): SimStats => ({ openConnections: sockets.size, maxOpenConnections, abortedRequests })

  const snapshot = (idOrGootenId: string): GootenOrderDocument | undefined => {
    const doc = store.find(idOrGootenId)
    return doc === undefined ? undefined : structuredClone(doc)
  }

  async function gooten (ex: Exchange, op: FaultOp, path: string, params: Params, legacyId: string | undefined): Promise<void> {
    const { req } = ex
    const orderId = op === 'getOrder' ? params.get('id') : legacyId ?? params.get('orderid')
    const call: SimCall = { op, method: req.method as string, path, at: Date.now() }
    if (orderId !== undefined) call.orderId = orderId
    record(call)
    const fault = faults.take(op)
    const body = await readBody(ex, maxBodyBytes)
    if (body === undefined) return
    let ids: number[] | undefined
    if (op === 'cancelItems') {
      ids = parseCancelIds(body, req.headers['content-type'])
      if (ids !== undefined) call.itemIds = ids
    }
    if (latencyMs > 0 && !await pause(ex, latencyMs)) return
    let refused: Set<number> | undefined
    let connectionClose = false
    let resetAfterApply = false
    let bareAnswer = false
    if (fault !== undefined) {
      switch (fault.kind) {
        case 'delay':
          if (!await pause(ex, fault.ms)) return
          break
        case 'hang':
          return
        case 'reset':
          destroy(ex)
          return
        case 'refuse':
          refused = new Set(fault.itemIds)
          break
        case 'reset-after-apply':
          resetAfterApply = true
          break
        case 'bare-answer-after-apply':
          bareAnswer = true
          break
        case 'close-keepalive':
          connectionClose = true
          break
        default:
          send(ex, faultReply(fault))
          return
      }
    }
    let reply: Reply
    if (op === 'getOrder') {
      reply = getOrder(ctx, params)
    } else {
      const result = cancelItems(ctx, params, orderId ?? '', ids, refused)
      if (result.changed > 0) cancelsApplied++
      reply = bareAnswer ? { status: 200, contentType: 'application/json', body: '{"HadError":false}' } : result.reply
    }
    if (resetAfterApply) destroy(ex)
    else send(ex, reply, connectionClose)
  }

  async function other (ex: Exchange, path: string, known: boolean): Promise<void> {
    const method = ex.req.method as string
    record({ op: 'other', method, path, at: Date.now() })
    if (await readBody(ex, maxBodyBytes) === undefined) return
    send(ex, known ? methodNotAllowed(method) : NOT_FOUND_HTML)
  }

  function controlReply (path: string, method: string, body: Buffer): Reply {
    const wrongMethod = controlError(405, `${method} not allowed on ${path}`)
    switch (path) {
      case '/__sim/reset':
        if (method !== 'POST') return wrongMethod
        reset()
        return OK
      case '/__sim/faults': {
        if (method === 'GET') return json(200, { faults: faults.pending() })
        if (method !== 'POST') return wrongMethod
        const parsed = parseJson(body)
        if (parsed === undefined) return controlError(400, 'body must be JSON: a fault or an array of faults')
        try {
          return json(200, { ok: true, queued: faults.enqueue(parsed.value) })
        } catch (err) {
          return controlError(400, (err as FaultError).message)
        }
      }
      case '/__sim/calls':
        if (method !== 'GET') return wrongMethod
        return json(200, { calls, counts })
      case '/__sim/stats':
        if (method !== 'GET') return wrongMethod
        return json(200, { ...stats(), cancelsApplied })
      case '/__sim/orders': {
        if (method !== 'POST') return wrongMethod
        const parsed = parseJson(body)
        const problem = parsed === undefined ? 'body must be a JSON order document' : orderDocumentProblem(parsed.value)
        if (problem !== undefined) return controlError(400, problem)
        const doc = (parsed as { value: GootenOrderDocument }).value
        store.add(doc)
        return json(201, { ok: true, Id: doc.Id, GootenId: doc.GootenId })
      }
      case '/__sim/fresh-order':
        if (method !== 'GET' && method !== 'POST') return wrongMethod
        return json(200, store.fresh())
    }
    if (!path.startsWith(CONTROL_ORDERS_PREFIX)) return CONTROL_NOT_FOUND
    if (method !== 'GET') return wrongMethod
    let id: string
    try {
      id = decodeURIComponent(path.slice(CONTROL_ORDERS_PREFIX.length))
    } catch {
      return controlError(400, 'malformed order id')
    }
    const doc = store.find(id)
    return doc === undefined ? controlError(404, `no order ${id}`) : json(200, doc)
  }

  async function control (ex: Exchange, path: string): Promise<void> {
    const body = await readBody(ex, maxBodyBytes)
    if (body === undefined) return
    send(ex, controlReply(path, ex.req.method as string, body))
  }

  const server = createServer((req, res) => {
    const ex: Exchange = { req, res, closed: false, ours: false }
    res.once('close', () => {
      ex.closed = true
      if (!res.writableFinished && !ex.ours) abortedRequests++
    })
    const url = req.url as string
    const q = url.indexOf('?')
    const path = q === -1 ? url : url.slice(0, q)
    if (path.startsWith(CONTROL_PREFIX)) {
      control(ex, path).catch(failed(ex))
      return
    }
    const lower = path.toLowerCase()
    const method = req.method as string
    let op: FaultOp
    let expected: string
    let legacyId: string | undefined
    if (lower === ORDERS || lower === ORDERS_SLASH) {
      op = 'getOrder'
      expected = 'GET'
    } else if (lower === ORDER_CANCEL || lower === ORDER_CANCEL_SLASH) {
      op = 'cancelItems'
      expected = 'PUT'
    } else {
      legacyId = legacyOrderId(path, lower)
      if (legacyId === undefined) {
        other(ex, path, false).catch(failed(ex))
        return
      }
      op = 'cancelItems'
      expected = 'POST'
    }
    if (method !== expected) {
      other(ex, path, true).catch(failed(ex))
      return
    }
    gooten(ex, op, path, parseQuery(q === -1 ? '' : url.slice(q + 1)), legacyId).catch(failed(ex))
  })
  server.keepAliveTimeout = options.keepAliveTimeoutMs ?? 5000
  server.on('connection', (socket: Socket) => {
    sockets.add(socket)
    if (sockets.size > maxOpenConnections) maxOpenConnections = sockets.size
    socket.once('close', () => sockets.delete(socket))
  })

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const port = (server.address() as AddressInfo).port
  let closing: Promise<void> | undefined

  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    recipeId: ctx.recipeId,
    partnerBillingKey: ctx.partnerBillingKey,
    enqueueFault: fault => { faults.enqueue(fault) },
    pendingFaults: () => faults.pending(),
    reset,
    get calls () { return calls },
    callCount: op => op === undefined ? counts.getOrder + counts.cancelItems + counts.other : counts[op],
    get cancelsApplied () { return cancelsApplied },
    stats,
    order: snapshot,
    addOrder: doc => { store.add(doc) },
    freshOrder: () => structuredClone(store.fresh()),
    close: () => {
      closing ??= new Promise<void>(resolve => {
        server.close(() => resolve())
        for (const socket of sockets) socket.destroy()
        sockets.clear()
      })
      return closing
    }
  }
}
