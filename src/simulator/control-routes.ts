/**
 * The control routes under `/__sim/`: what tests do through the `Simulator` object, for other
 * processes (the demo, the benchmark, the soak run). JSON in and out, no credentials, no
 * latency, no faults, paths matched exactly.
 */
import { readBody } from './body.js'
import type { Exchange } from './exchange.js'
import type { FaultError } from './faults.js'
import { json } from './reply.js'
import type { Reply } from './reply.js'
import { router } from './router.js'
import type { Handler } from './router.js'
import type { SimulatorState } from './state.js'
import { orderDocumentProblem } from './store.js'
import type { GootenOrderDocument } from './types.js'

export const CONTROL_PREFIX = '/__sim/'

/** What `POST /__sim/large-order` answers: the order's ids, not its megabytes. */
export interface LargeOrderSummary { Id: string, GootenId: number, ItemIds: number[] }

export function largeOrderSummary (doc: GootenOrderDocument): LargeOrderSummary {
  return { Id: doc.Id, GootenId: doc.GootenId as number, ItemIds: doc.Items.map(it => it.Images?.[0]?.OrderItemId as number) }
}

const controlError = (status: number, error: string): Reply => json(status, { error })
const OK = json(200, { ok: true })
const UNKNOWN_ROUTE = controlError(404, 'unknown control route')

function parseJson (body: Buffer): { value: unknown } | undefined {
  try {
    return { value: JSON.parse(body.toString('utf8')) }
  } catch {
    return undefined
  }
}

/** A control route's answer, given the whole body, the request and what a `/*` path matched. */
type ControlAnswer = (body: Buffer, ex: Exchange, rest: string) => Reply

export function controlRouter (state: SimulatorState, maxBodyBytes: number): (ex: Exchange) => Promise<void> {
  const { calls, connections, faults, store } = state

  /** A handler that reads the whole body (within the cap), then sends what `reply` makes of it. */
  const replying = (reply: ControlAnswer): Handler => async (ex, rest) => {
    const body = await readBody(ex, maxBodyBytes)
    if (body !== undefined) ex.send(reply(body, ex, rest))
  }

  const queueFaults: ControlAnswer = body => {
    const parsed = parseJson(body)
    if (parsed === undefined) return controlError(400, 'body must be JSON: a fault or an array of faults')
    try {
      return json(200, { ok: true, queued: faults.enqueue(parsed.value) })
    } catch (err) {
      return controlError(400, (err as FaultError).message)
    }
  }

  const addOrder: ControlAnswer = body => {
    const parsed = parseJson(body)
    const problem = parsed === undefined ? 'body must be a JSON order document' : orderDocumentProblem(parsed.value)
    if (problem !== undefined) return controlError(400, problem)
    const doc = (parsed as { value: GootenOrderDocument }).value
    store.add(doc)
    return json(201, { ok: true, Id: doc.Id, GootenId: doc.GootenId })
  }

  const readOrder: ControlAnswer = (_body, _ex, rest) => {
    let id: string
    try {
      id = decodeURIComponent(rest)
    } catch {
      return controlError(400, 'malformed order id')
    }
    const doc = store.find(id)
    return doc === undefined ? controlError(404, `no order ${id}`) : json(200, doc)
  }

  const freshOrder = replying(() => json(200, store.fresh()))

  const addLargeOrder: ControlAnswer = body => {
    const items = (parseJson(body)?.value as { items?: unknown } | null | undefined)?.items
    try {
      return json(201, largeOrderSummary(store.large(items as number)))
    } catch (err) {
      return controlError(400, (err as RangeError).message)
    }
  }

  return router([
    { method: 'POST', path: '/__sim/reset', handler: replying(() => { state.reset(); return OK }) },
    { method: 'GET', path: '/__sim/faults', handler: replying(() => json(200, { faults: faults.pending() })) },
    { method: 'POST', path: '/__sim/faults', handler: replying(queueFaults) },
    { method: 'GET', path: '/__sim/calls', handler: replying(() => json(200, { calls: calls.entries, counts: calls.counts })) },
    { method: 'GET', path: '/__sim/stats', handler: replying(() => json(200, { ...connections.stats(), cancelsApplied: calls.cancelsApplied })) },
    { method: 'POST', path: '/__sim/orders', handler: replying(addOrder) },
    { method: 'GET', path: '/__sim/orders/*', handler: replying(readOrder) },
    { method: 'GET', path: '/__sim/fresh-order', handler: freshOrder },
    { method: 'POST', path: '/__sim/fresh-order', handler: freshOrder },
    { method: 'POST', path: '/__sim/large-order', handler: replying(addLargeOrder) }
  ], {
    notFound: replying(() => UNKNOWN_ROUTE),
    wrongMethod: replying((_body, ex) => controlError(405, `${ex.method} not allowed on ${ex.path}`))
  })
}
