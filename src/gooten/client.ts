import { setTimeout as sleep } from 'node:timers/promises'
import type { Dispatcher } from 'undici'
import type { Bulkhead, Release } from './bulkhead.js'
import type { Deadline } from './deadline.js'
import type { CircuitBreaker } from './circuit-breaker.js'
import { GootenError, type GootenFailure, type UpstreamOp } from './errors.js'
import { interpretCancel, interpretOrder, type RawAnswer } from './interpret.js'
import type { RetryBudget } from './retry-budget.js'
import { send } from './transport.js'
import type { GootenCancelReply, GootenOrder } from './types.js'
import { UnreadableOrders } from './unreadable-orders.js'

/** Structured logger: the adapter logs objects, never URLs. */
export interface UpstreamLogger {
  debug: (object: object, message: string) => void
  warn: (object: object, message: string) => void
  error: (object: object, message: string) => void
}

/** One Gooten call as the request's access line summarises it. */
export interface UpstreamCallSummary {
  op: UpstreamOp
  attempt: number
  status: number | null
  ms: number
  outcome: 'ok' | GootenFailure
}

/** One inbound request's view of its upstream work: a single deadline shared by every call. */
export interface CallContext {
  deadline: Deadline
  log: UpstreamLogger
  /** Every call made for the request, in order: the access line carries them (one line per request, not per call). */
  calls: UpstreamCallSummary[]
}

export interface UpstreamObserver {
  callFinished: (op: UpstreamOp, outcome: 'ok' | GootenFailure, seconds: number) => void
  retried: (op: UpstreamOp) => void
}

/** Traces each call attempt (src/telemetry); absent, an attempt is a plain call. */
export interface UpstreamTracer {
  attempt: (op: UpstreamOp, attempt: number) => TracedAttempt
}

export interface TracedAttempt {
  /** Runs the HTTP exchange inside the attempt's span, so the HTTP client span is its child. */
  run: <T>(exchange: () => Promise<T>) => Promise<T>
  end: (status: number | undefined, outcome: 'ok' | GootenFailure) => void
}

export interface GootenClientOptions {
  origin: string
  recipeId: string
  partnerBillingKey: string
  dispatcher: Dispatcher
  bulkhead: Bulkhead
  circuit: CircuitBreaker
  retryBudget: RetryBudget
  observer?: UpstreamObserver
  tracer?: UpstreamTracer
  /** Source of randomness for backoff jitter; injectable for tests. */
  random?: () => number
  /** Orders whose document could not be used, answered from memory for a while; injectable for tests. */
  unreadableOrders?: UnreadableOrders
}

interface UpstreamCall {
  method: 'GET' | 'PUT'
  /** Holds the credentials: never logged, thrown or returned. */
  pathAndQuery: string
  body?: string
}

const MAX_RETRIES = 2
const BACKOFF_BASE_MS = 100
const BACKOFF_CAP_MS = 1000
const LOOKUP_RETRY_STATUSES = new Set([429, 502, 503, 504])

/** Transient failures worth another lookup: the lookup is read-only, so repeating it is safe. */
function lookupMayRetry (error: GootenError): boolean {
  if (error.failure === 'connection_failed') return true
  return error.failure === 'unavailable' && LOOKUP_RETRY_STATUSES.has(error.details.status as number)
}

/** A cancel is repeated only when the first attempt provably never reached Gooten. */
function cancelMayRetry (error: GootenError): boolean {
  return error.failure === 'connection_failed' && error.details.neverSent === true
}

// Gooten's health, as the circuit breaker and readiness follow it: it could not be reached, it
// did not answer in time, or it said it is failing or overloaded (5xx, 429).
const UNHEALTHY = new Set<GootenFailure>(['unavailable', 'connection_failed', 'timeout'])

/**
 * What a failed call tells the circuit breaker about Gooten's health. An answer that arrived but
 * that we cannot use (one order's odd document, HTML, an unknown shape, a refusal) shows Gooten
 * up and answering: one odd order must not pause every call and take every replica out.
 */
function healthSignal (failure: GootenError): 'healthy' | 'unhealthy' | 'none' {
  // The deadline had passed before the call was sent: nothing was learnt.
  if (failure.failure === 'timeout' && failure.details.neverSent === true) return 'none'
  return UNHEALTHY.has(failure.failure) ? 'unhealthy' : 'healthy'
}

export class GootenClient {
  readonly #options: GootenClientOptions
  readonly #observer: UpstreamObserver | undefined
  readonly #random: () => number
  readonly #credentials: string
  readonly #recipeQuery: string
  readonly #unreadable: UnreadableOrders

  constructor (options: GootenClientOptions) {
    this.#options = options
    this.#unreadable = options.unreadableOrders ?? new UnreadableOrders()
    this.#observer = options.observer
    this.#random = options.random ?? Math.random
    // Percent-encoded once: the billing key is base64-like and holds + / =. Gooten's order lookup
    // takes the recipe id alone, so the private key travels only on the calls that change an order.
    this.#recipeQuery = `recipeid=${encodeURIComponent(options.recipeId)}`
    this.#credentials = `${this.#recipeQuery}&partnerBillingKey=${encodeURIComponent(options.partnerBillingKey)}`
  }

  /** Looks an order up by Safe Order ID or numeric GootenId. */
  async getOrder (orderId: string, context: CallContext): Promise<GootenOrder> {
    const remembered = this.#unreadable.recall(orderId)
    if (remembered !== undefined) throw remembered
    const pathAndQuery = `/api/v/5/source/api/orders?id=${encodeURIComponent(orderId)}&${this.#recipeQuery}`
    try {
      return await this.#call('getOrder', { method: 'GET', pathAndQuery }, context, interpretOrder, lookupMayRetry)
    } catch (error) {
      if ((error as GootenError).failure === 'order_unreadable') this.#unreadable.remember(orderId, error as GootenError)
      throw error
    }
  }

  /** Cancels the given OrderItemIds of the order with this numeric GootenId, in one call. */
  async cancelItems (gootenId: number, itemIds: readonly number[], context: CallContext): Promise<GootenCancelReply> {
    const pathAndQuery = `/api/orderCancel?orderId=${gootenId}&${this.#credentials}`
    const body = JSON.stringify({ Ids: itemIds })
    const interpret = (answer: RawAnswer): GootenCancelReply => interpretCancel(answer, itemIds)
    return await this.#call('cancelItems', { method: 'PUT', pathAndQuery, body }, context, interpret, cancelMayRetry)
  }

  async #call<T> (
    op: UpstreamOp,
    request: UpstreamCall,
    context: CallContext,
    interpret: (answer: RawAnswer) => T,
    mayRetry: (error: GootenError) => boolean
  ): Promise<T> {
    this.#options.retryBudget.recordCall()
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#attempt(op, request, context, interpret, attempt)
      } catch (error) {
        const failure = error as GootenError
        if (attempt > MAX_RETRIES || !mayRetry(failure)) throw failure
        const delayMs = failure.details.retryAfterMs ?? this.#backoff(attempt)
        // Gooten asked for more time than this request has left: fail now and pass the wait on.
        if (delayMs >= context.deadline.remainingMs) throw failure
        if (!this.#options.retryBudget.tryRetry()) throw failure
        this.#observer?.retried(op)
        // Ends before the deadline (checked above), so it needs no signal.
        await sleep(delayMs)
      }
    }
    /* c8 ignore next 2: the loop ends only by return or throw; V8 still counts the function's end */
  }

  /** Full-jitter exponential backoff. */
  #backoff (attempt: number): number {
    return Math.floor(this.#random() * Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** attempt))
  }

  async #attempt<T> (
    op: UpstreamOp,
    request: UpstreamCall,
    context: CallContext,
    interpret: (answer: RawAnswer) => T,
    attempt: number
  ): Promise<T> {
    const { circuit, bulkhead, dispatcher, origin } = this.#options
    circuit.admit(op)
    let release: Release
    try {
      const slot = bulkhead.acquire(op, context.deadline)
      release = typeof slot === 'function' ? slot : await slot
    } catch (error) {
      circuit.abandoned()
      throw error
    }
    const traced = this.#options.tracer?.attempt(op, attempt)
    const started = performance.now()
    let status: number | undefined
    let result: T
    try {
      const upstreamRequest = { op, origin, ...request, deadline: context.deadline }
      const answer = await (traced === undefined ? send(dispatcher, upstreamRequest) : traced.run(async () => await send(dispatcher, upstreamRequest)))
      status = answer.status
      // Interpreted inside the attempt: a 200 carrying HTML is a failed call too.
      result = interpret(answer)
    } catch (error) {
      // send() classifies every transport error and interpret() checks shapes before reading them.
      const failure = error as GootenError
      this.#finish(op, context, attempt, started, failure.details.status ?? status, failure.failure)
      traced?.end(failure.details.status ?? status, failure.failure)
      const signal = healthSignal(failure)
      if (signal === 'healthy') circuit.succeeded()
      else if (signal === 'unhealthy') circuit.failed()
      else circuit.abandoned()
      throw failure
    } finally {
      release()
    }
    this.#finish(op, context, attempt, started, status, 'ok')
    traced?.end(status, 'ok')
    circuit.succeeded()
    return result
  }

  #finish (op: UpstreamOp, context: CallContext, attempt: number, started: number, status: number | undefined, outcome: 'ok' | GootenFailure): void {
    const ms = Math.round((performance.now() - started) * 10) / 10
    this.#observer?.callFinished(op, outcome, ms / 1000)
    const line: UpstreamCallSummary = { op, attempt, status: status ?? null, ms, outcome }
    context.calls.push(line)
    // A line of its own only at debug, or when something went wrong: the access line has the rest.
    if (outcome === 'ok' || outcome === 'not_found') context.log.debug(line, 'upstream call')
    else if (outcome === 'credentials_refused') context.log.error(line, 'Gooten refused our credentials: check GOOTEN_RECIPE_ID and GOOTEN_PARTNER_BILLING_KEY')
    else context.log.warn(line, 'upstream call failed')
  }
}
