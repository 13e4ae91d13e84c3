/**
 * The metrics' cost per request, measured in the process: each recorder called a million times per
 * trial, five trials, the median in ns per call. `npm run bench:metrics`; not part of `npm test`.
 * Compares the business metrics (counted as plain numbers, handed to prom-client at scrape time)
 * with the HTTP metrics every request already paid for, and with prom-client's own inc().
 */
import { Counter, Registry } from 'prom-client'
import type { ItemResult } from '../src/cancellation/types.js'
import { pastPreProductionReason } from '../src/cancellation/plan.js'
import { businessMetrics, httpMetrics, type FinishedRequest } from '../src/plugins/metrics.js'

const CALLS = 1_000_000
const TRIALS = 5

function nsPerCall (what: () => void): number {
  const trials: number[] = []
  for (let trial = 0; trial < TRIALS; trial++) {
    const started = process.hrtime.bigint()
    for (let i = 0; i < CALLS; i++) what()
    trials.push(Number(process.hrtime.bigint() - started) / CALLS)
  }
  return trials.sort((a, b) => a - b)[Math.floor(TRIALS / 2)] as number
}

const registry = new Registry()
const httpFinished = httpMetrics(registry)
const business = businessMetrics(registry, ['support', 'dashboard'])
const plain = new Counter({ name: 'plain_total', help: 'prom-client inc() for comparison', labelNames: ['caller', 'outcome'], registers: [registry] })

const twoCancelled: ItemResult[] = [{ itemId: 1, result: 'cancelled', previousStatus: 'New' }, { itemId: 2, result: 'cancelled', previousStatus: 'Hold' }]
const refusedPreCheck: ItemResult[] = [
  { itemId: 1, result: 'failed', previousStatus: 'Shipped', reason: pastPreProductionReason('Shipped') },
  { itemId: 2, result: 'not_attempted', previousStatus: 'New', reason: 'Not forwarded: another requested item failed a pre-check.' }
]
const cancelled: FinishedRequest = { caller: 'support', problemCode: undefined, answerOutcome: 'cancelled', answerItems: twoCancelled }
const refused: FinishedRequest = { caller: 'support', problemCode: 'ITEMS_NOT_CANCELLABLE', answerOutcome: undefined, answerItems: refusedPreCheck }

const rows: Array<[string, number]> = [
  ['HTTP metrics, every request (counter + histogram)', nsPerCall(() => { httpFinished('POST', '/orders/:orderId/items/cancel', 200, 0.012) })],
  ['cancel answered 200, 2 items cancelled', nsPerCall(() => { business.cancelFinished(cancelled) })],
  ['cancel answered 409, 1 item past pre-production + 1 not attempted', nsPerCall(() => { business.cancelFinished(refused) })],
  ['a problem answer (by code)', nsPerCall(() => { business.problemAnswered('RATE_LIMITED') })],
  ['for comparison: prom-client counter.inc({ caller, outcome })', nsPerCall(() => { plain.inc({ caller: 'support', outcome: 'cancelled' }) })]
]
console.log(`node ${process.version}, ${CALLS} calls x ${TRIALS} trials, median ns per call`)
for (const [what, ns] of rows) console.log(`${ns.toFixed(0).padStart(6)} ns  ${what}`)
// The counts reach the exposition: a check that the loops above were not optimised away.
const text = await registry.metrics()
if (!text.includes(`gooten_proxy_cancels_total{caller="support",outcome="cancelled"} ${CALLS * TRIALS}`)) throw new Error('the cancels were not counted')
