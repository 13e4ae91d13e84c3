// Shared helpers for the simulator tests (not a test file itself).
import { request } from 'node:http'
import type { Agent, IncomingHttpHeaders } from 'node:http'
import type { Simulator } from '../../src/simulator/server.js'

export const ORDERS_PATH = '/api/v/5/source/api/orders'

export const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

/** The lookup URL; `params` are appended verbatim (already encoded). */
export function orderUrl (sim: Simulator, id: string | number, params = `recipeid=${sim.recipeId}`): string {
  return `${sim.url}${ORDERS_PATH}?id=${encodeURIComponent(String(id))}&${params}`
}

/** The credentials query for a cancel, billing key percent-encoded. */
export function creds (sim: Simulator): string {
  return `recipeid=${encodeURIComponent(sim.recipeId)}&partnerBillingKey=${encodeURIComponent(sim.partnerBillingKey)}`
}

export function cancelUrl (sim: Simulator, orderId: string | number, query = creds(sim)): string {
  return `${sim.url}/api/orderCancel?orderId=${encodeURIComponent(String(orderId))}&${query}`
}

export interface Answer {
  status: number
  headers: Headers
  text: string
  body: any
}

async function answer (res: Response): Promise<Answer> {
  const text = await res.text()
  let body: any
  try {
    body = JSON.parse(text)
  } catch {
    body = undefined
  }
  return { status: res.status, headers: res.headers, text, body }
}

export async function get (url: string, init?: RequestInit): Promise<Answer> {
  return answer(await fetch(url, init))
}

/** A cancel call with a JSON body (`{"Ids": ids}` unless `body` is given). */
export async function put (url: string, ids: unknown, init: RequestInit = {}): Promise<Answer> {
  return answer(await fetch(url, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ Ids: ids }),
    ...init
  }))
}

export async function post (url: string, value: unknown): Promise<Answer> {
  return answer(await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(value)
  }))
}

export async function cancel (sim: Simulator, orderId: string | number, ids: unknown): Promise<Answer> {
  return put(cancelUrl(sim, orderId), ids)
}

/** An item's current status, found by the id in `Images[].OrderItemId`, `OrderItemId` or `Id`. */
export function statusOf (sim: Simulator, orderId: string | number, itemId: number): string | number | null | undefined {
  const doc = sim.order(String(orderId))
  const it = doc?.Items.find(i => i.Id === itemId || i.OrderItemId === itemId || i.Images?.some(img => img.OrderItemId === itemId))
  return it?.Status
}

export interface RawAnswer {
  status: number
  headers: IncomingHttpHeaders
  text: string
}

/**
 * node:http request, one connection per call unless an agent is given: for
 * socket-level checks (fetch's pool reconnects eagerly after an abort).
 */
export function raw (url: string, options: { method?: string, headers?: Record<string, string>, body?: string, agent?: Agent, signal?: AbortSignal } = {}): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const headers = { ...options.headers }
    // Frame the body explicitly: node sends a GET body unframed otherwise.
    if (options.body !== undefined) headers['content-length'] = String(Buffer.byteLength(options.body))
    const req = request(url, { method: options.method ?? 'GET', headers, agent: options.agent ?? false, signal: options.signal }, res => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode as number, headers: res.headers, text: Buffer.concat(chunks).toString() }))
    })
    req.on('error', reject)
    req.end(options.body)
  })
}
