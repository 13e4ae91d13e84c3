import type { CallContext } from '../gooten/client.js'
import { GootenError } from '../gooten/errors.js'
import type { GootenOrder } from '../gooten/types.js'
import { CancellationError, OutcomeUnknownError, UnaddressableOrderError } from './errors.js'
import { planCancellation, type CancelPlan } from './plan.js'
import type { GootenGateway, OrderLocks } from './ports.js'
import { reconcile, resultsFor, withoutForwarding } from './reconcile.js'
import { classifyStatus } from './status-policy.js'
import type { CancelOutcome, CancelRequest, OrderView } from './types.js'
import { PROBLEMS } from '../problems/catalogue.js'

export interface CancellationServiceOptions {
  gooten: GootenGateway
  locks: OrderLocks
  /**
   * Time kept back from the cancel call, within the request's deadline, for the follow-up lookup
   * after a cancel whose effect is unknown (at most half the time left when the call starts).
   */
  verificationReserveMs: number
}

const UNCONFIRMED = 'The cancel call failed midway and Gooten does not show this item cancelled yet; it may still be.'

/** The order as read, Gooten's id for it, and what to do with each requested item. */
interface Prepared { order: GootenOrder, gootenId: number, plan: CancelPlan }

export class CancellationService {
  constructor (private readonly options: CancellationServiceOptions) {}

  async view (orderId: string, context: CallContext): Promise<OrderView> {
    const order = await this.#lookup(orderId, context)
    return {
      orderId: order.safeId ?? orderId,
      gootenOrderId: order.gootenId,
      items: order.items.map((item) => ({ ...item, cancellable: classifyStatus(item.status) === 'cancellable' }))
    }
  }

  async cancel (request: CancelRequest, context: CallContext): Promise<CancelOutcome> {
    if (request.dryRun) {
      const { order, gootenId, plan } = await this.#prepare(request, context)
      return { orderId: order.safeId ?? request.orderId, gootenOrderId: gootenId, outcome: 'dry_run', items: withoutForwarding(plan) }
    }
    // One lock per Gooten order, by its numeric id, whatever id form the caller used. The order is
    // read before the lock (its id comes from the read), and read again under the lock whenever
    // someone held that lock since the read began: each cancel then plans from the statuses the one
    // before left, and no item is forwarded twice.
    const { locks } = this.options
    const since = await locks.stamp()
    const prepared = await this.#prepare(request, context)
    return await locks.run(`gooten:${prepared.gootenId}`, since, context.deadline, async (stale) =>
      await this.#forward(request, stale ? await this.#prepareAgain(request, prepared.gootenId, context) : prepared, context))
  }

  /** The order read again under its lock; it must still be the order that lock is for. */
  async #prepareAgain (request: CancelRequest, gootenId: number, context: CallContext): Promise<Prepared> {
    const prepared = await this.#prepare(request, context)
    if (prepared.gootenId !== gootenId) {
      throw new UnaddressableOrderError('Gooten\'s order document changed its GootenId between two reads')
    }
    return prepared
  }

  async #forward (request: CancelRequest, { order, gootenId, plan }: Prepared, context: CallContext): Promise<CancelOutcome> {
    const orderId = order.safeId ?? request.orderId
    if (plan.toForward.length === 0) {
      return { orderId, gootenOrderId: gootenId, outcome: 'cancelled', items: withoutForwarding(plan) }
    }
    // The cancel call ends early enough for a verification lookup to fit in the request's deadline.
    const reserveMs = Math.min(this.options.verificationReserveMs, context.deadline.remainingMs / 2)
    try {
      const reply = await this.options.gooten.cancelItems(gootenId, plan.toForward, { ...context, deadline: context.deadline.earlier(reserveMs) })
      return { orderId, gootenOrderId: gootenId, ...reconcile(plan, reply) }
    } catch (error) {
      if (error instanceof GootenError && error.mayHaveReachedGooten) {
        return await this.#verify(request, plan, { orderId, gootenId }, error, context)
      }
      throw error
    }
  }

  async #prepare (request: CancelRequest, context: CallContext): Promise<Prepared> {
    const order = await this.#lookup(request.orderId, context)
    const plan = planCancellation(order, request.itemIds)
    if (order.gootenId === null) {
      // Older document shapes lack it, and the cancel call cannot be addressed without it.
      throw new UnaddressableOrderError('Gooten\'s order document has no GootenId')
    }
    return { order, gootenId: order.gootenId, plan }
  }

  /**
   * After a cancel call that may or may not have reached Gooten, read the order again and
   * answer from what it shows; never report a cancel that did not happen.
   */
  async #verify (
    request: CancelRequest,
    plan: CancelPlan,
    ids: { orderId: string, gootenId: number },
    failure: GootenError,
    context: CallContext
  ): Promise<CancelOutcome> {
    let nowCancelled = new Set<number>()
    try {
      const order = await this.options.gooten.getOrder(request.orderId, context)
      nowCancelled = new Set(order.items
        .filter((item) => item.itemId !== null && classifyStatus(item.status) === 'cancelled')
        .map((item) => item.itemId as number))
    } catch (error) {
      context.log.warn({ op: 'getOrder', outcome: (error as GootenError).failure }, 'could not verify the cancel outcome')
    }
    const items = resultsFor(plan, ({ itemId, previousStatus }) => nowCancelled.has(itemId)
      ? { itemId, result: 'cancelled', previousStatus }
      : { itemId, result: 'unknown', previousStatus, reason: UNCONFIRMED })
    if (plan.toForward.every((itemId) => nowCancelled.has(itemId))) {
      return { orderId: ids.orderId, gootenOrderId: ids.gootenId, outcome: 'cancelled', items }
    }
    throw new OutcomeUnknownError(items, failure)
  }

  async #lookup (orderId: string, context: CallContext): Promise<GootenOrder> {
    try {
      return await this.options.gooten.getOrder(orderId, context)
    } catch (error) {
      if (error instanceof GootenError && error.failure === 'not_found') {
        throw new CancellationError('ORDER_NOT_FOUND', PROBLEMS.ORDER_NOT_FOUND.detail.order)
      }
      throw error
    }
  }
}
