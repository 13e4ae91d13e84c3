/**
 * The Gooten API simulator: a plain node:http server that plays the two Gooten endpoints the
 * service calls, with Gooten's shapes and credential checks, keeps state, and misbehaves on cue.
 * This module puts it together; each part has its own module:
 *
 * - `gooten-routes.ts`: `GET /api/v/5/source/api/orders?id=` and `PUT /api/orderCancel?orderId=`
 *   (paths and query names matched ignoring case, as IIS does), with `gooten-answers.ts` for
 *   what Gooten answers and `fault-play.ts` for how each fault plays;
 * - `control-routes.ts`: `/__sim/*`, the `Simulator` API over HTTP for other processes;
 * - `router.ts` (route tables), `exchange.ts` (one request and its response), `body.ts` (body
 *   reading with its cap);
 * - `state.ts`: the orders (`store.ts`, seeded by `seed.ts`), the fault queue (`faults.ts`), the
 *   call log (`calls.ts`) and the socket counts (`connections.ts`).
 *
 * node:http rather than Fastify, on purpose: the benchmark measures the service against the
 * simulator called directly, and a slower simulator would flatter the service's ratios.
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { CONTROL_PREFIX, controlRouter, largeOrderSummary, type LargeOrderSummary } from './control-routes.js'
import { Exchange } from './exchange.js'
import type { Fault } from './faults.js'
import { INTERNAL_ERROR } from './gooten-answers.js'
import type { GootenContext, NotFoundStyle, Recancel } from './gooten-answers.js'
import { gootenRouter } from './gooten-routes.js'
import type { SimCall, SimOp } from './calls.js'
import type { SimStats } from './connections.js'
import { SimulatorState } from './state.js'
import type { GootenOrderDocument } from './types.js'

export type { SimCall, SimCallCounts, SimOp } from './calls.js'
export type { SimStats } from './connections.js'
export type { LargeOrderSummary } from './control-routes.js'

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
  /**
   * Create a very large order of `items` `New` items (1 to 50,000; never-seen ids), as
   * `POST /__sim/large-order` does; answers its Id, GootenId and item ids.
   */
  largeOrder: (items: number) => LargeOrderSummary
  /** Close the server and destroy every open socket, hanging requests included. */
  close: () => Promise<void>
}

export async function startSimulator (options: SimulatorOptions = {}): Promise<Simulator> {
  const host = options.host ?? '127.0.0.1'
  const maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024
  const state = new SimulatorState({ maxFreshOrders: options.maxFreshOrders ?? 10_000, maxCalls: options.maxCalls ?? 50_000 })
  const ctx: GootenContext = {
    store: state.store,
    recipeId: options.recipeId ?? DEFAULT_RECIPE_ID,
    partnerBillingKey: options.partnerBillingKey ?? DEFAULT_PARTNER_BILLING_KEY,
    notFoundStyle: options.notFoundStyle ?? '404',
    recancel: options.recancel ?? 'success'
  }
  const gooten = gootenRouter(state, ctx, { latencyMs: options.latencyMs ?? 0, maxBodyBytes })
  const control = controlRouter(state, maxBodyBytes)
  const { connections } = state

  const server = createServer((req, res) => {
    const ex = new Exchange(req, res, connections.countAbort)
    const route = ex.path.startsWith(CONTROL_PREFIX) ? control : gooten
    // A handler threw (say, an order added from JS holds a value JSON cannot encode). Handlers
    // send last, so nothing has been sent yet: answer 500 as ASP.NET does.
    route(ex).catch(() => ex.send(INTERNAL_ERROR))
  })
  server.keepAliveTimeout = options.keepAliveTimeoutMs ?? 5000
  server.on('connection', connections.track)

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const port = (server.address() as AddressInfo).port
  let closing: Promise<void> | undefined
  const { calls, faults, store } = state

  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    recipeId: ctx.recipeId,
    partnerBillingKey: ctx.partnerBillingKey,
    enqueueFault: fault => { faults.enqueue(fault) },
    pendingFaults: () => faults.pending(),
    reset: () => state.reset(),
    get calls () { return calls.entries },
    callCount: op => calls.count(op),
    get cancelsApplied () { return calls.cancelsApplied },
    stats: () => connections.stats(),
    order: idOrGootenId => {
      const doc = store.find(idOrGootenId)
      return doc === undefined ? undefined : structuredClone(doc)
    },
    addOrder: doc => { store.add(doc) },
    freshOrder: () => structuredClone(store.fresh()),
    largeOrder: items => largeOrderSummary(store.large(items)),
    close: () => {
      closing ??= new Promise<void>(resolve => {
        server.close(() => resolve())
        connections.destroyAll()
      })
      return closing
    }
  }
}
