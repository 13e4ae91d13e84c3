import fp from 'fastify-plugin'
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import { refusalOf } from '../cancellation/item-refusal.js'
import type { ItemResult } from '../cancellation/types.js'
import type { UpstreamObserver } from '../gooten/client.js'
import type { CircuitState } from '../gooten/circuit-breaker.js'
import type { JwksFetchOutcome } from '../auth/key-set.js'
import type { SecretFileVariable } from '../secrets/live-secrets.js'
import type { GootenFailure } from '../gooten/errors.js'
import { problemResponse } from '../http/problem-responses.js'
import { PROBLEMS } from '../problems/catalogue.js'
import { onRequestEnd } from './request-end.js'

/** Why a request could not be authenticated or authorised (identity providers add their own reasons here). */
export type AuthFailureReason = 'missing' | 'malformed' | 'invalid_key' | 'invalid_token' | 'insufficient_scope'

export interface ServiceMetrics extends UpstreamObserver {
  /** Where the in-flight gauge reads its value when scraped: nothing to do per call. */
  watchInFlight: (read: () => number) => void
  circuit: (state: CircuitState) => void
  authFailed: (reason: AuthFailureReason) => void
  /** Whether the store for idempotency records and order locks can be reached. */
  storeAvailable: (available: boolean) => void
  /** Seconds new order locks are held back after the store lost its keys; 0 when they are not. */
  storeLockDelay: (seconds: number) => void
  /** Items whose cancel may or may not have happened at Gooten. */
  itemsInDoubt: (count: number) => void
  /** An MCP tool call answered, by tool and whether it was a result or a tool error (both are HTTP 200). */
  mcpToolCall: (tool: string, outcome: 'ok' | 'tool_error') => void
  /** A fetch of the OpenID provider's keys, or one held back by the cooldown. */
  jwksFetch: (outcome: JwksFetchOutcome) => void
  /** A secret file's new content applied, or refused (the previous values stay). */
  secretFile: (file: SecretFileVariable, outcome: 'applied' | 'refused') => void
}

declare module 'fastify' {
  interface FastifyInstance {
    metrics: ServiceMetrics
  }
  interface FastifyRequest {
    /** A cancel's outcome, or 'replayed' for an idempotent replay; a problem answer is counted by its code. */
    answerOutcome: string | undefined
    /** The items a cancel answered, with their results. */
    answerItems: readonly ItemResult[] | undefined
  }
}

/** What the business metrics read from a finished request (a FastifyRequest holds it all). */
export interface FinishedRequest {
  /** Undefined when no caller was identified (a missing or wrong key). */
  caller: string | undefined
  problemCode: string | undefined
  answerOutcome: string | undefined
  answerItems: readonly ItemResult[] | undefined
}

export const CANCEL_ROUTE = '/orders/:orderId/items/cancel'
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
const CIRCUIT_STATES: CircuitState[] = ['closed', 'half_open', 'open']
const AUTH_FAILURE_REASONS: AuthFailureReason[] = ['missing', 'malformed', 'invalid_key', 'invalid_token', 'insufficient_scope']
// A Record, so that a new failure kind cannot be left out of the series created at start.
const UPSTREAM_OUTCOMES: Record<'ok' | GootenFailure, true> = {
  ok: true, not_found: true, bad_response: true, order_unreadable: true, credentials_refused: true, unavailable: true, connection_failed: true, timeout: true, circuit_open: true, overloaded: true
}

interface Tally { readonly labels: Record<string, string>, count: number, reported: number }

/**
 * A counter a request adds to as a plain number, one tally per label set, which the caller keeps where it
 * finds it fastest. prom-client's inc() hashes and checks the labels on every call; here that happens once
 * per label set and scrape, when the counts are handed over.
 */
function talliedCounter (registry: Registry, name: string, help: string, labelNames: string[]): (labels: Record<string, string>) => Tally {
  const tallies: Tally[] = []
  const counter: Counter = new Counter({
    name,
    help,
    labelNames,
    registers: [registry],
    collect: () => {
      for (const tally of tallies) {
        // Adding 0 still creates the series, so a label set created at start is exported as 0.
        counter.inc(tally.labels, tally.count - tally.reported)
        tally.reported = tally.count
      }
    }
  })
  return (labels) => {
    const tally = { labels, count: 0, reported: 0 }
    tallies.push(tally)
    return tally
  }
}

/** Tallies found by one Map lookup on a constant string: a string built per request would be hashed each time. */
function tallyMap (create: (key: string) => Tally): (key: string) => Tally {
  const tallies = new Map<string, Tally>()
  return (key) => {
    let tally = tallies.get(key)
    if (tally === undefined) {
      tally = create(key)
      tallies.set(key, tally)
    }
    return tally
  }
}

/**
 * The caller as a label: a configured caller's name, 'anonymous' when keys are off or none was sent,
 * and 'other' for anyone else, so that no key, token or subject can ever become a label value.
 */
export function callerLabeller (configured: readonly string[]): (caller: string | undefined) => string {
  const known = new Set([...configured, 'anonymous'])
  return (caller) => caller === undefined ? 'anonymous' : known.has(caller) ? caller : 'other'
}

/** Request counts and latencies by route and status, as every HTTP service exports them. */
export function httpMetrics (registry: Registry): (method: string, route: string, status: number, seconds: number) => void {
  const requests = new Counter({ name: 'http_requests_total', help: 'Requests answered, by route and status', labelNames: ['method', 'route', 'status'], registers: [registry] })
  const requestSeconds = new Histogram({ name: 'http_request_duration_seconds', help: 'Request latency', labelNames: ['method', 'route', 'status'], buckets: LATENCY_BUCKETS, registers: [registry] })
  // Label sets bound once and kept: prom-client builds a labels object from its arguments on every labels() call.
  const counts = new Map<string, { inc: () => void }>()
  const latencies = new Map<string, { observe: (value: number) => void }>()
  return (method, route, status, seconds) => {
    const key = `${method} ${route} ${status}`
    let count = counts.get(key)
    let latency = latencies.get(key)
    if (count === undefined || latency === undefined) {
      const labels = { method, route, status: String(status) }
      count = requests.labels(labels)
      latency = requestSeconds.labels(labels)
      counts.set(key, count)
      latencies.set(key, latency)
    }
    count.inc()
    latency.observe(seconds)
  }
}

export interface BusinessMetrics {
  /** A cancel answered: by caller and outcome (or problem code), its items by result and refusal reason. */
  cancelFinished: (request: FinishedRequest) => void
  /** Any problem answer, by its code: shed, busy and refused answers among them. */
  problemAnswered: (code: string) => void
  authFailed: (reason: AuthFailureReason) => void
  itemsInDoubt: (count: number) => void
}

/** What the service did for its callers: cancels, items, problems, failed authentications. */
export function businessMetrics (registry: Registry, configuredCallers: readonly string[]): BusinessMetrics {
  const callerLabel = callerLabeller(configuredCallers)
  const cancels = talliedCounter(registry, 'gooten_proxy_cancels_total', 'Cancel requests answered, by caller and outcome: cancelled, partially_cancelled, dry_run, replayed, or the problem code in lower case', ['caller', 'outcome'])
  const items = talliedCounter(registry, 'gooten_proxy_cancel_items_total', 'Items in cancel answers, by caller, result and, for failed items, refusal reason (else none)', ['caller', 'result', 'reason'])
  const problemCounter = talliedCounter(registry, 'gooten_proxy_problems_total', 'Problem answers, by code (SERVICE_OVERLOADED: shed; ORDER_BUSY, IDEMPOTENCY_KEY_IN_USE: busy)', ['code'])
  const authCounter = talliedCounter(registry, 'gooten_proxy_auth_failures_total', 'Requests to /orders that failed authentication or authorisation, by reason', ['reason'])
  const inDoubt = new Counter({ name: 'gooten_proxy_items_in_doubt_total', help: 'Items whose cancel may or may not have happened at Gooten (answered unknown)', registers: [registry] })
  const problems = tallyMap((code) => problemCounter({ code }))
  const authFailures = tallyMap((reason) => authCounter({ reason }))
  // Created at start, so that a rate or increase over them sees their first event.
  for (const code of Object.keys(PROBLEMS)) problems(code)
  for (const reason of AUTH_FAILURE_REASONS) authFailures(reason)
  const outcomeLabels = new Map(Object.keys(PROBLEMS).map((code) => [code, code.toLowerCase()]))

  // Per caller label: its cancels by outcome, its items by result, its failed items by refusal reason.
  const callers = new Map<string, { cancels: (outcome: string) => Tally, items: (result: string) => Tally, refusals: (reason: string) => Tally }>()
  const tallies = (caller: string) => {
    let found = callers.get(caller)
    if (found === undefined) {
      found = {
        cancels: tallyMap((outcome) => cancels({ caller, outcome })),
        items: tallyMap((result) => items({ caller, result, reason: 'none' })),
        refusals: tallyMap((reason) => items({ caller, result: 'failed', reason }))
      }
      callers.set(caller, found)
    }
    return found
  }

  return {
    cancelFinished: (request) => {
      const caller = tallies(callerLabel(request.caller))
      const code = request.problemCode
      // Every cancel answer is a problem, a result or a replay.
      caller.cancels(code === undefined ? request.answerOutcome as string : outcomeLabels.get(code) as string).count++
      const answered = request.answerItems
      if (answered === undefined) return
      let unknown = 0
      for (const item of answered) {
        if (item.result === 'failed') caller.refusals(refusalOf(item)).count++
        else caller.items(item.result).count++
        if (item.result === 'unknown') unknown++
      }
      if (unknown > 0) inDoubt.inc(unknown)
    },
    problemAnswered: (code) => { problems(code).count++ },
    authFailed: (reason) => { authFailures(reason).count++ },
    itemsInDoubt: (count) => { inDoubt.inc(count) }
  }
}

/** Prometheus metrics on a registry of this app's own, served at GET /metrics. */
export default fp<{ processMetrics: boolean }>(async function metrics (app, options) {
  const registry = new Registry()
  // Process metrics (heap, event loop lag) observe the whole process: once per process, by the server.
  if (options.processMetrics) collectDefaultMetrics({ register: registry })

  const requestFinished = httpMetrics(registry)
  const business = businessMetrics(registry, app.config.callerKeys?.map((caller) => caller.name) ?? [])
  const upstreamCalls = new Counter({ name: 'gooten_upstream_calls_total', help: 'Calls to Gooten, by operation and outcome', labelNames: ['op', 'outcome'], registers: [registry] })
  const upstreamSeconds = new Histogram({ name: 'gooten_upstream_call_duration_seconds', help: 'Gooten call latency', labelNames: ['op', 'outcome'], buckets: LATENCY_BUCKETS, registers: [registry] })
  const retries = new Counter({ name: 'gooten_upstream_retries_total', help: 'Retried Gooten calls, by operation', labelNames: ['op'], registers: [registry] })
  const circuit = new Gauge({ name: 'gooten_upstream_circuit_state', help: '1 for the circuit breaker\'s current state', labelNames: ['state'], registers: [registry] })
  const storeAvailable = new Gauge({ name: 'gooten_proxy_store_available', help: '1 while the store for idempotency records and order locks can be reached (always, in process), else 0', registers: [registry] })
  const secretFiles = new Counter({ name: 'secret_file_reloads_total', help: 'Secret files read again with new content, by variable and outcome (refused: broken, the previous values stay)', labelNames: ['file', 'outcome'], registers: [registry] })
  const jwksFetches = new Counter({ name: 'oidc_jwks_fetches_total', help: 'Fetches of the OpenID provider\'s keys, by outcome (held_back: an unknown kid within the cooldown)', labelNames: ['outcome'], registers: [registry] })
  const storeLockDelay = new Gauge({ name: 'gooten_proxy_store_lock_delay', help: 'Seconds new order locks are still held back after the store lost its keys; 0 when they are not', registers: [registry] })
  for (const state of CIRCUIT_STATES) circuit.set({ state }, state === 'closed' ? 1 : 0)
  const toolCalls = new Counter({ name: 'mcp_tool_calls_total', help: 'MCP tool calls, by tool and outcome (ok or tool_error)', labelNames: ['tool', 'outcome'], registers: [registry] })
  // Every outcome from the start: an alert on credentials_refused must see the first refusal as an increase.
  for (const op of ['getOrder', 'cancelItems']) {
    for (const outcome of Object.keys(UPSTREAM_OUTCOMES)) upstreamCalls.inc({ op, outcome }, 0)
  }

  const callCounts = new Map<string, { inc: () => void }>()
  const callLatencies = new Map<string, { observe: (value: number) => void }>()

  app.decorate('metrics', {
    callFinished: (op, outcome, seconds) => {
      const key = `${op} ${outcome}`
      let count = callCounts.get(key)
      let latency = callLatencies.get(key)
      if (count === undefined || latency === undefined) {
        count = upstreamCalls.labels({ op, outcome })
        latency = upstreamSeconds.labels({ op, outcome })
        callCounts.set(key, count)
        callLatencies.set(key, latency)
      }
      count.inc()
      latency.observe(seconds)
    },
    retried: (op) => retries.inc({ op }),
    watchInFlight: (read) => {
      registry.registerMetric(new Gauge({
        name: 'gooten_upstream_in_flight',
        help: 'Gooten calls in flight',
        registers: [],
        // Read at each scrape: setting it on every call cost CPU on every cancel for a value only a scrape sees.
        collect () { this.set(read()) }
      }))
    },
    circuit: (current) => {
      for (const state of CIRCUIT_STATES) circuit.set({ state }, state === current ? 1 : 0)
    },
    authFailed: business.authFailed,
    storeAvailable: (available) => { storeAvailable.set(available ? 1 : 0) },
    storeLockDelay: (seconds) => { storeLockDelay.set(seconds) },
    itemsInDoubt: business.itemsInDoubt,
    mcpToolCall: (tool, outcome) => toolCalls.inc({ tool, outcome }),
    jwksFetch: (outcome) => jwksFetches.inc({ outcome }),
    secretFile: (file, outcome) => secretFiles.inc({ file, outcome })
  } satisfies ServiceMetrics)
  app.decorateRequest('answerOutcome', undefined)
  app.decorateRequest('answerItems', undefined)

  // Counted also when the caller hung up before the answer was written.
  onRequestEnd(app, (request, reply) => {
    const route = request.routeOptions.url ?? '<unmatched>'
    requestFinished(request.method, route, reply.statusCode, reply.elapsedTime / 1000)
    if (request.problemCode !== undefined) business.problemAnswered(request.problemCode)
    if (route === CANCEL_ROUTE) business.cancelFinished(request)
  })

  app.get('/metrics', {
    schema: {
      tags: ['operations'],
      operationId: 'getMetrics',
      summary: 'Prometheus metrics',
      description: 'Request counts and latencies by route and status; cancels by caller and outcome, their items by result and refusal reason; problem answers by code; failed authentications by reason; Gooten calls by operation and outcome; retries; circuit state; calls in flight; MCP tool calls by tool and outcome; the store\'s availability. Needs no caller key: keep it on the internal network.',
      security: [],
      produces: ['text/plain'],
      response: {
        200: {
          description: 'Prometheus text exposition format',
          type: 'string',
          examples: ['# HELP gooten_upstream_in_flight Gooten calls in flight\n# TYPE gooten_upstream_in_flight gauge\ngooten_upstream_in_flight 0\n']
        },
        417: problemResponse(['EXPECTATION_FAILED']),
        // Draining turns every route but /health/* away; load shedding every route but liveness.
        503: problemResponse(['NOT_READY', 'SERVICE_OVERLOADED'])
      }
    }
  }, async (_request, reply) => {
    reply.type(registry.contentType)
    return await registry.metrics()
  })
}, { name: 'metrics' })
