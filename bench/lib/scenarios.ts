// The scenarios: what is sent to the service, and the direct simulator calls it stands beside.
import { Pool } from 'undici'
import { SEED } from '../../src/simulator/seed.js'
import type { Step } from './load.js'
import { CREDENTIALS } from './procs.js'

const LOOKUP = '/api/v/5/source/api/orders'
const JSON_HEADERS = { 'content-type': 'application/json' }

export interface FreshOrder {
  safeId: string
  gootenId: number
  itemIds: [number, number]
}

/** One-use cancellable orders, handed out in creation order to every connection of a run. */
export class OrderPool {
  next = 0
  /** Orders asked for beyond the pool: those requests would not do both upstream calls. */
  overdrawn = 0
  constructor (readonly orders: FreshOrder[]) {}

  take (): FreshOrder {
    const order = this.orders[this.next++]
    if (order !== undefined) return order
    this.overdrawn++
    return this.orders[this.orders.length - 1] as FreshOrder
  }
}

interface FreshDocument {
  Id: string
  GootenId: number
  Items: Array<{ Images: Array<{ OrderItemId: number }> }>
}

/** The simulator keeps at most this many fresh orders (older ones are dropped). */
export const MAX_POOL = 10_000

/** Resets the simulator and creates `count` fresh orders (two `New` items each) through its control route. */
export async function createPool (simulatorUrl: string, count: number): Promise<OrderPool> {
  const client = new Pool(simulatorUrl, { connections: 8 })
  try {
    await client.request({ method: 'POST', path: '/__sim/reset' }).then(async (r) => await r.body.dump())
    const orders: FreshOrder[] = new Array<FreshOrder>(count)
    let next = 0
    const worker = async (): Promise<void> => {
      while (next < count) {
        const index = next++
        const response = await client.request({ method: 'GET', path: '/__sim/fresh-order' })
        const doc = await response.body.json() as FreshDocument
        const ids = doc.Items.map((item) => item.Images[0]?.OrderItemId as number)
        orders[index] = { safeId: doc.Id, gootenId: doc.GootenId, itemIds: [ids[0] as number, ids[1] as number] }
      }
    }
    await Promise.all(Array.from({ length: 32 }, worker))
    return new OrderPool(orders)
  } finally {
    await client.close()
  }
}

export interface Scenario {
  id: string
  title: string
  /** What the service does upstream per request. */
  upstream: string
  /** What the direct baseline sends per flow. */
  baseline: string
  /** Every request needs a one-use order from a pool. */
  pooled: boolean
  service: (pool: OrderPool | undefined) => Step[]
  direct: (pool: OrderPool | undefined) => Step[]
}

const { demo, mixed } = SEED

export const SCENARIOS: Scenario[] = [
  {
    id: 'cancel',
    title: 'Full cancel flow',
    upstream: 'lookup + cancel',
    baseline: 'GET lookup, then PUT orderCancel, on one connection',
    pooled: true,
    service: (pool) => [{
      request: {
        method: 'POST',
        path: '/orders/pending/items/cancel',
        headers: JSON_HEADERS,
        setupRequest: (request) => {
          const order = (pool as OrderPool).take()
          request.path = `/orders/${order.safeId}/items/cancel`
          request.body = `{"itemIds":[${order.itemIds[0]},${order.itemIds[1]}]}`
          return request
        }
      },
      status: 200,
      // Not "already_cancelled": a reused order would skip the cancel call.
      contains: '"result":"cancelled"'
    }],
    direct: (pool) => [
      {
        request: {
          method: 'GET',
          path: LOOKUP,
          setupRequest: (request, context) => {
            const order = (pool as OrderPool).take()
            context.order = order
            request.path = `${LOOKUP}?id=${encodeURIComponent(order.safeId)}&${CREDENTIALS}`
            return request
          }
        },
        status: 200,
        contains: '"Status":"New"'
      },
      {
        request: {
          method: 'PUT',
          path: '/api/orderCancel',
          headers: JSON_HEADERS,
          setupRequest: (request, context) => {
            const order = context.order as FreshOrder
            request.path = `/api/orderCancel?orderId=${order.gootenId}&${CREDENTIALS}`
            request.body = `{"Ids":[${order.itemIds[0]},${order.itemIds[1]}]}`
            return request
          }
        },
        status: 200,
        contains: '"HadError":false'
      }
    ]
  },
  {
    id: 'items',
    title: 'GET /orders/:orderId/items',
    upstream: 'lookup',
    baseline: 'GET lookup',
    pooled: false,
    service: () => [{
      request: { method: 'GET', path: `/orders/${demo.safeId}/items` },
      status: 200,
      contains: '"cancellable":true'
    }],
    direct: () => [{
      request: { method: 'GET', path: `${LOOKUP}?id=${encodeURIComponent(demo.safeId)}&${CREDENTIALS}` },
      status: 200,
      contains: '"Items"'
    }]
  },
  {
    id: 'invalid',
    title: 'Reject: invalid body (400)',
    upstream: 'none',
    baseline: 'PUT orderCancel with an invalid body (the simulator answers 400)',
    pooled: false,
    service: () => [{
      request: { method: 'POST', path: `/orders/${demo.safeId}/items/cancel`, headers: JSON_HEADERS, body: '{"itemIds":"nope"}' },
      status: 400,
      contains: '"VALIDATION_FAILED"'
    }],
    direct: () => [{
      request: { method: 'PUT', path: `/api/orderCancel?orderId=${demo.gootenId}&${CREDENTIALS}`, headers: JSON_HEADERS, body: '{"Ids":"nope"}' },
      status: 400,
      contains: '"Ids"'
    }]
  },
  {
    id: 'not-cancellable',
    title: 'Reject: ITEMS_NOT_CANCELLABLE (409)',
    upstream: 'lookup',
    baseline: 'GET lookup',
    pooled: false,
    service: () => [{
      request: { method: 'POST', path: `/orders/${mixed.safeId}/items/cancel`, headers: JSON_HEADERS, body: `{"itemIds":[${mixed.items.shipped}]}` },
      status: 409,
      contains: '"ITEMS_NOT_CANCELLABLE"'
    }],
    direct: () => [{
      request: { method: 'GET', path: `${LOOKUP}?id=${encodeURIComponent(mixed.safeId)}&${CREDENTIALS}` },
      status: 200,
      contains: '"Status":"Shipped"'
    }]
  }
]

/** Gooten calls the simulator received since its last reset. */
export async function upstreamCounts (simulatorUrl: string): Promise<{ getOrder: number, cancelItems: number }> {
  const response = await fetch(`${simulatorUrl}/__sim/calls`)
  const { counts } = await response.json() as { counts: { getOrder: number, cancelItems: number } }
  return { getOrder: counts.getOrder, cancelItems: counts.cancelItems }
}

export async function resetSimulator (simulatorUrl: string): Promise<void> {
  const response = await fetch(`${simulatorUrl}/__sim/reset`, { method: 'POST' })
  await response.arrayBuffer()
}
