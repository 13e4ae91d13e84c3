import t from 'tap'
import { CancelInDoubtError, CancellationError, OrderBusyError, OutcomeUnknownError, UnaddressableOrderError } from '../../../src/cancellation/errors.js'
import { GootenError, type GootenFailure } from '../../../src/gooten/errors.js'
import { toProblem, type MappedProblem } from '../../../src/http/error-mapping.js'
import { PROBLEM_RESPONSES, problemResponse } from '../../../src/http/problem-responses.js'
import { LIMITS, OUTCOME_UNKNOWN_DETAIL, PROBLEMS, problemType, secondsToWait, type ProblemCode } from '../../../src/problems/catalogue.js'
import { ProblemError } from '../../../src/problems/problem-error.js'
import { LockDelayError, StoreUnavailableError } from '../../../src/stores/errors.js'

const codes = Object.keys(PROBLEMS) as ProblemCode[]

t.test('every code: a 4xx or 5xx status, a title, what to do, and details worded as sentences', async (t) => {
  for (const code of codes) {
    const entry: { status: number, title: string, action: string, retryAfterSeconds?: number, detail: Record<string, unknown> } = PROBLEMS[code]
    t.ok(entry.status >= 400 && entry.status < 600, `${code}: status ${entry.status}`)
    t.match(entry.title, /^[A-Z][^.]+[^.]$/, `${code}: a title without a full stop`)
    t.match(entry.action, /^[A-Z`].+\.$/, `${code}: says what to do`)
    t.equal(problemType(code), `urn:problem:gooten-order-proxy:${code.toLowerCase().replaceAll('_', '-')}`)
    if (entry.retryAfterSeconds !== undefined) t.ok(entry.action.includes('Retry-After'), `${code}: the action names the wait it sends`)
    for (const [name, detail] of Object.entries(entry.detail)) {
      if (typeof detail === 'string') t.match(detail, /^[A-Z].+\.$/, `${code}.${name}`)
    }
  }
  t.equal(PROBLEMS.ITEMS_NOT_CANCELLABLE.detail.some(2), '2 of the requested items are no longer cancellable.')
  t.equal(PROBLEMS.ITEMS_NOT_IN_ORDER.detail.some(1), '1 of the requested items are not in this order.')
  t.equal(PROBLEMS.RATE_LIMITED.detail.over(600, '1 minute'), 'Over 600 requests per minute; retry in 1 minute.')
  t.equal(PROBLEMS.NOT_READY.detail.state('starting'), 'The service is starting.')
  t.equal(PROBLEMS.STORE_UNAVAILABLE.detail.lockDelay(198), 'The shared store lost its state; nothing was cancelled. Cancels resume in 198 s, once no cancel sent before the loss can still reach Gooten. Reads keep working.')
  t.equal(PROBLEMS.ITEMS_NOT_CANCELLABLE.detail.listedTwice(2, 1), '2 of the requested items cannot be cancelled; Gooten\'s order lists 1 of them more than once with different statuses.')
})

t.test('the limits are the ones the answers name', async (t) => {
  t.equal(LIMITS.bodyBytes, 16_384)
  t.equal(PROBLEMS.PAYLOAD_TOO_LARGE.detail.body, 'The request body is over 16 KiB.')
  t.match(PROBLEMS.PAYLOAD_TOO_LARGE.action, `at most ${LIMITS.itemIds} items`)
  t.same([secondsToWait(0), secondsToWait(1), secondsToWait(1000), secondsToWait(1001)], [1, 1, 1, 2], 'waits round up, to at least 1 s')
})

const items = [{ itemId: 1, result: 'failed' as const, previousStatus: 'Shipped', reason: 'past pre-production' }]
const unavailable = new GootenError('unavailable', 'cancelItems', 'Gooten answered HTTP 503', { status: 503, retryAfterMs: 2500 })

/** Every error thrown on purpose, and the problem it is answered with: one table, like undici's errors test. */
const TABLE: Array<[string, Error, MappedProblem]> = [
  ['ProblemError', new ProblemError('FORBIDDEN', 'read-only', { headers: { a: 'b' } }), { code: 'FORBIDDEN', detail: 'read-only', headers: { a: 'b' } }],
  ['CancellationError without items', new CancellationError('ORDER_NOT_FOUND', PROBLEMS.ORDER_NOT_FOUND.detail.order), { code: 'ORDER_NOT_FOUND', detail: 'Gooten has no order with this id.' }],
  ['CancellationError with items', new CancellationError('ITEMS_NOT_CANCELLABLE', 'x', items), { code: 'ITEMS_NOT_CANCELLABLE', detail: 'x', body: { items } }],
  ['OutcomeUnknownError', new OutcomeUnknownError(items, unavailable), { code: 'UPSTREAM_UNAVAILABLE', detail: OUTCOME_UNKNOWN_DETAIL, retryAfterSeconds: 3, body: { outcomeKnown: false, items } }],
  ['OrderBusyError', new OrderBusyError(), { code: 'ORDER_BUSY', detail: PROBLEMS.ORDER_BUSY.detail.busy }],
  ['UnaddressableOrderError', new UnaddressableOrderError('no GootenId'), { code: 'UPSTREAM_BAD_RESPONSE', detail: PROBLEMS.UPSTREAM_BAD_RESPONSE.detail.unaddressable }],
  ['StoreUnavailableError', new StoreUnavailableError('the lock store is unavailable'), { code: 'STORE_UNAVAILABLE', detail: PROBLEMS.STORE_UNAVAILABLE.detail.down }],
  ['LockDelayError', new LockDelayError(197_200), { code: 'STORE_UNAVAILABLE', detail: PROBLEMS.STORE_UNAVAILABLE.detail.lockDelay(198), retryAfterSeconds: 198 }],
  ['CancelInDoubtError soon over', new CancelInDoubtError(items, 4_100), { code: 'CANCEL_IN_DOUBT', detail: PROBLEMS.CANCEL_IN_DOUBT.detail.earlierCancel, retryAfterSeconds: 5, body: { items } }],
  ['CancelInDoubtError long', new CancelInDoubtError(items, 170_000), { code: 'CANCEL_IN_DOUBT', detail: PROBLEMS.CANCEL_IN_DOUBT.detail.earlierCancel, retryAfterSeconds: 30, body: { items } }],
  ['a validation error', Object.assign(new Error('x'), { validation: [{ instancePath: '', keyword: 'required', params: { missingProperty: 'itemIds' } }], validationContext: 'body' }),
    { code: 'VALIDATION_FAILED', detail: PROBLEMS.VALIDATION_FAILED.detail.schema, body: { errors: [{ path: '/body/itemIds', message: 'is required' }] } }],
  ['a body over the limit', Object.assign(new Error('x'), { code: 'FST_ERR_CTP_BODY_TOO_LARGE', statusCode: 413 }), { code: 'PAYLOAD_TOO_LARGE', detail: 'The request body is over 16 KiB.' }],
  ['another client error of the framework', Object.assign(new Error('x'), { statusCode: 400 }),
    { code: 'VALIDATION_FAILED', detail: PROBLEMS.VALIDATION_FAILED.detail.unreadable, body: { errors: [{ path: '', message: 'could not be read' }] } }],
  ['anything else', new TypeError('boom'), { code: 'INTERNAL_ERROR', detail: PROBLEMS.INTERNAL_ERROR.detail.unexpected, unexpected: true }]
]

t.test('every error maps to its problem by its code', async (t) => {
  for (const [name, error, expected] of TABLE) {
    t.same(toProblem(error), expected, name)
    if (error instanceof ProblemError) {
      t.equal(error.name, name.split(' ')[0], `${name}: named for logs`)
      t.notMatch(error.message, /^$/, `${name}: a message for logs`)
    }
  }
  t.equal(new OrderBusyError().message, 'another cancel of this order was still running when the request deadline passed', 'log text and caller text differ')
})

t.test('each Gooten failure: its code, our words, and Gooten\'s Retry-After passed on', async (t) => {
  const expected: Record<GootenFailure, [ProblemCode, string]> = {
    not_found: ['ORDER_NOT_FOUND', 'Gooten has no order with this id.'],
    bad_response: ['UPSTREAM_BAD_RESPONSE', PROBLEMS.UPSTREAM_BAD_RESPONSE.detail.unreadable],
    order_unreadable: ['ORDER_UNREADABLE', PROBLEMS.ORDER_UNREADABLE.detail.document('unknown_shape')],
    credentials_refused: ['UPSTREAM_BAD_RESPONSE', PROBLEMS.UPSTREAM_BAD_RESPONSE.detail.credentialsRefused],
    unavailable: ['UPSTREAM_UNAVAILABLE', PROBLEMS.UPSTREAM_UNAVAILABLE.detail.failing],
    connection_failed: ['UPSTREAM_UNAVAILABLE', PROBLEMS.UPSTREAM_UNAVAILABLE.detail.unreachable],
    circuit_open: ['UPSTREAM_UNAVAILABLE', PROBLEMS.UPSTREAM_UNAVAILABLE.detail.paused],
    overloaded: ['UPSTREAM_UNAVAILABLE', PROBLEMS.UPSTREAM_UNAVAILABLE.detail.saturated],
    timeout: ['UPSTREAM_TIMEOUT', PROBLEMS.UPSTREAM_TIMEOUT.detail.deadline]
  }
  for (const [failure, [code, detail]] of Object.entries(expected)) {
    const error = new GootenError(failure as GootenFailure, 'getOrder', 'Gooten said <html>secret</html>')
    t.same(toProblem(error), { code, detail }, failure)
  }
  t.equal(toProblem(unavailable).retryAfterSeconds, 3, '2.5 s from Gooten is a 3 s wait')
  const timedOut = new GootenError('timeout', 'getOrder', 'deadline passed', { retryAfterMs: 5000 })
  t.equal(toProblem(timedOut).retryAfterSeconds, undefined, 'only an answer that says wait passes Gooten\'s wait on')
  const why = { item_without_status: 'has an item without a status, so its items cannot be checked', unknown_shape: 'is not in a shape this service knows', too_large: 'is over 6 MiB, the most this service reads' } as const
  for (const [unreadable, words] of Object.entries(why)) {
    const error = new GootenError('order_unreadable', 'getOrder', 'unusable', { unreadable: unreadable as keyof typeof why })
    t.same(toProblem(error), { code: 'ORDER_UNREADABLE', detail: `Gooten's document for this order ${words}; nothing was forwarded. Other orders are not affected; asking again will not help until Gooten's document changes.` }, unreadable)
  }
})

t.test('the OpenAPI answers: one example per status, and every code\'s action in its description', async (t) => {
  for (const responses of Object.values(PROBLEM_RESPONSES)) {
    for (const [status, response] of Object.entries(responses)) {
      const examples = Object.values(response.content['application/problem+json'].examples)
      t.equal(examples.length, 1, `${status}: one example`)
      t.match(examples[0]?.value, { status: Number(status) })
    }
  }
  const busy = problemResponse(['IDEMPOTENCY_KEY_IN_USE', 'ORDER_BUSY'])
  t.equal(busy.description, [
    `- \`IDEMPOTENCY_KEY_IN_USE\`: ${PROBLEMS.IDEMPOTENCY_KEY_IN_USE.title}. ${PROBLEMS.IDEMPOTENCY_KEY_IN_USE.action}`,
    `- \`ORDER_BUSY\`: ${PROBLEMS.ORDER_BUSY.title}. ${PROBLEMS.ORDER_BUSY.action}`
  ].join('\n'))
  t.match(busy.content['application/problem+json'].examples, { IDEMPOTENCY_KEY_IN_USE: { value: { detail: PROBLEMS.IDEMPOTENCY_KEY_IN_USE.detail.inUse } } })
})
