/**
 * Gooten's two endpoints over HTTP. Each call is recorded at arrival and takes the first
 * matching fault; then its whole body is read, `latencyMs` passes, and the fault plays (or the
 * call is answered normally). A known path with another method is 405, any other path IIS's
 * HTML 404: both are recorded as op `other` and never take faults.
 */
import { readBody } from './body.js'
import type { Exchange } from './exchange.js'
import { playFault } from './fault-play.js'
import type { Answer } from './fault-play.js'
import type { Fault } from './faults.js'
import { cancelItems, getOrder, methodNotAllowed, NOT_FOUND_HTML, parseCancelIds } from './gooten-answers.js'
import type { GootenContext } from './gooten-answers.js'
import type { Reply } from './reply.js'
import { parseQuery, router } from './router.js'
import type { SimulatorState } from './state.js'

export interface GootenRouteOptions {
  latencyMs: number
  maxBodyBytes: number
}

export function gootenRouter (state: SimulatorState, ctx: GootenContext, { latencyMs, maxBodyBytes }: GootenRouteOptions): (ex: Exchange) => Promise<void> {
  const { calls, faults } = state

  /** After the body: wait the latency (unless the client leaves), then play the fault or answer. */
  function respond (ex: Exchange, fault: Fault | undefined, answer: Answer): Promise<void> | undefined {
    if (latencyMs === 0) return playFault(fault, ex, answer)
    return ex.pause(latencyMs).then(stayed => stayed ? playFault(fault, ex, answer) : undefined)
  }

  async function lookup (ex: Exchange): Promise<void> {
    const params = parseQuery(ex.query)
    calls.record('getOrder', ex, params.get('id'))
    const fault = faults.take('getOrder')
    if (await readBody(ex, maxBodyBytes) === undefined) return
    await respond(ex, fault, () => getOrder(ctx, params))
  }

  async function cancel (ex: Exchange): Promise<void> {
    const params = parseQuery(ex.query)
    const orderId = params.get('orderid')
    const call = calls.record('cancelItems', ex, orderId)
    const fault = faults.take('cancelItems')
    const body = await readBody(ex, maxBodyBytes)
    if (body === undefined) return
    const ids = parseCancelIds(body, ex.req.headers['content-type'])
    if (ids !== undefined) call.itemIds = ids
    await respond(ex, fault, refused => {
      const result = cancelItems(ctx, params, orderId ?? '', ids, refused)
      if (result.changed > 0) calls.cancelsApplied++
      return result.reply
    })
  }

  /** Not a Gooten endpoint: recorded, body consumed, answered as IIS would. */
  async function other (ex: Exchange, reply: Reply): Promise<void> {
    calls.record('other', ex, undefined)
    if (await readBody(ex, maxBodyBytes) !== undefined) ex.send(reply)
  }

  return router([
    { method: 'GET', path: '/api/v/5/source/api/orders', handler: lookup },
    { method: 'PUT', path: '/api/orderCancel', handler: cancel }
  ], {
    iisPaths: true,
    notFound: ex => other(ex, NOT_FOUND_HTML),
    wrongMethod: ex => other(ex, methodNotAllowed(ex.method))
  })
}
