import type { CallContext } from '../gooten/client.js'
import { GootenError } from '../gooten/errors.js'
import type { GootenCancelReply, GootenOrder } from '../gooten/types.js'
import { CancelInDoubtError, CancellationError, OutcomeUnknownError, UnaddressableOrderError } from './errors.js'
import { planCancellation, statusesById, type CancelPlan } from './plan.js'
import type { GootenGateway, HeldLock, InDoubtItem, OrderLocks } from './ports.js'
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
  /**
   * How long after its cancel call was sent an item stays in doubt when the call's outcome is
   * unknown: longer than Gooten can still take to apply a call whose client has left.
   */
  inDoubtMs: number
}

const UNCONFIRMED = 'The cancel call failed midway and Gooten does not show this item cancelled yet; it may still be.'
/** The reasons of a CANCEL_IN_DOUBT answer: for an item in doubt, and for the other items. */
export const IN_DOUBT = 'A cancel of this item sent earlier has an unknown outcome and Gooten may still apply it; not forwarded again.'
export const NOT_ATTEMPTED_BESIDE_IN_DOUBT = 'Not forwarded: another requested item has a cancel with an unknown outcome.'

/** The order as read, Gooten's id for it, and what to do with each requested item. */
interface Prepared { order: GootenOrder, gootenId: number, plan: CancelPlan }

export class CancellationService {
  constructor (private readonly options: CancellationServiceOptions) {}

  async view (orderId: string, context: CallContext): Promise<OrderView> {
    const order = await this.#lookup(orderId, context)
    // An id listed twice with different statuses is not cancellable under either listing.
    const statusById = statusesById(order)
    return {
      orderId: order.safeId ?? orderId,
      gootenOrderId: order.gootenId,
      items: order.items.map((item) => ({
        ...item,
        cancellable: classifyStatus(item.status) === 'cancellable' && (item.itemId === null || statusById.get(item.itemId) !== null)
      }))
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
    return await locks.run(`gooten:${prepared.gootenId}`, since, context.deadline, async (stale, lock) =>
      await this.#forward(request, stale ? await this.#prepareAgain(request, prepared.gootenId, context) : prepared, lock, context))
  }

  /** The order read again under its lock; it must still be the order that lock is for. */
  async #prepareAgain (request: CancelRequest, gootenId: number, context: CallContext): Promise<Prepared> {
    const prepared = await this.#prepare(request, context)
    if (prepared.gootenId !== gootenId) {
      throw new UnaddressableOrderError('Gooten\'s order document changed its GootenId between two reads')
    }
    return prepared
  }

  async #forward (request: CancelRequest, { order, gootenId, plan }: Prepared, lock: HeldLock, context: CallContext): Promise<CancelOutcome> {
    const orderId = order.safeId ?? request.orderId
    if (plan.toForward.length === 0) {
      return { orderId, gootenOrderId: gootenId, outcome: 'cancelled', items: withoutForwarding(plan) }
    }
    // Written ahead of the call, so that it holds even if this process dies while the call is out:
    // until the deadline (the call is sent by then), plus the time Gooten may still apply it after.
    const inDoubt = await lock.markInDoubt(plan.toForward, context.deadline.remainingMs + this.options.inDoubtMs)
    if (inDoubt.length > 0) throw inDoubtError(plan, inDoubt)
    // The cancel call ends early enough for a verification lookup to fit in the request's deadline.
    const reserveMs = Math.min(this.options.verificationReserveMs, context.deadline.remainingMs / 2)
    let reply: GootenCancelReply
    try {
      reply = await this.options.gooten.cancelItems(gootenId, plan.toForward, { ...context, deadline: context.deadline.earlier(reserveMs) })
    } catch (error) {
      if (error instanceof GootenError && error.mayHaveReachedGooten) {
        return await this.#verify(request, plan, { orderId, gootenId }, error, lock, context)
      }
      await this.#settled(plan, lock, context)
      throw error
    }
    // Gooten answered: the call has run its course there, and nothing of it can be applied later.
    await this.#settled(plan, lock, context)
    return { orderId, gootenOrderId: gootenId, ...reconcile(plan, reply) }
  }

  /** The outcome is known; a mark that cannot be ended runs out on its own (the items meanwhile get 409). */
  async #settled (plan: CancelPlan, lock: HeldLock, context: CallContext): Promise<void> {
    await lock.clearInDoubt(plan.toForward).catch(() => {
      context.log.warn({ store: 'locks' }, 'could not end the in-doubt marks of a settled cancel; they run out on their own')
    })
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
    lock: HeldLock,
    context: CallContext
  ): Promise<CancelOutcome> {
    let nowCancelled = new Set<number>()
    try {
      const order = await this.options.gooten.getOrder(request.orderId, context)
      // Cancelled only where every listing of the id says so.
      nowCancelled = new Set([...statusesById(order)]
        .filter(([, status]) => status !== null && classifyStatus(status) === 'cancelled')
        .map(([itemId]) => itemId))
    } catch (error) {
      context.log.warn({ op: 'getOrder', outcome: (error as GootenError).failure }, 'could not verify the cancel outcome')
    }
    const items = resultsFor(plan, ({ itemId, previousStatus }) => nowCancelled.has(itemId)
      ? { itemId, result: 'cancelled', previousStatus }
      : { itemId, result: 'unknown', previousStatus, reason: UNCONFIRMED })
    if (plan.toForward.every((itemId) => nowCancelled.has(itemId))) {
      await this.#settled(plan, lock, context)
      return { orderId: ids.orderId, gootenOrderId: ids.gootenId, outcome: 'cancelled', items }
    }
    // Gooten answered the call itself (a 503, say): it has run its course there and cannot apply
    // later, so the lookup after it is the truth. A gateway's 502 or 504 may stand in front of a
    // request still running behind it, like a call we hung up on: its marks stay.
    if (answeredByGooten(failure)) await this.#settled(plan, lock, context)
    // Otherwise the marks stay: Gooten may still apply the call, and no replica forwards these
    // items until it shows them cancelled or the marks run out.
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

/** An answer with a status that only the server that ran the call gives (not a gateway's 502 or 504). */
function answeredByGooten (failure: GootenError): boolean {
  const status = failure.details.status
  return status !== undefined && status !== 502 && status !== 504
}

/** Nothing is forwarded while any requested item is in doubt: pre-checks are all-or-nothing. */
function inDoubtError (plan: CancelPlan, inDoubt: InDoubtItem[]): CancelInDoubtError {
  const doubtful = new Set(inDoubt.map((item) => item.itemId))
  const items = resultsFor(plan, ({ itemId, previousStatus }) => doubtful.has(itemId)
    ? { itemId, result: 'unknown', previousStatus, reason: IN_DOUBT }
    : { itemId, result: 'not_attempted', previousStatus, reason: NOT_ATTEMPTED_BESIDE_IN_DOUBT })
  return new CancelInDoubtError(items, Math.min(...inDoubt.map((item) => item.remainingMs)))
}
