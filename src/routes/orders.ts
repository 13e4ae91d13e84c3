import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { Static } from '@sinclair/typebox'
import type { FastifyRequest } from 'fastify'
import { jsonResponse, PROBLEM_RESPONSES } from '../http/problem-responses.js'
import { itemResultsOf } from '../cancellation/errors.js'
import { toProblem } from '../http/error-mapping.js'
import { PROBLEMS } from '../problems/catalogue.js'
import { ProblemError } from '../problems/problem-error.js'
import { CANCELLABLE_STATUSES, CANCELLED_STATUSES } from '../cancellation/status-policy.js'
import { CANCEL_RESULT_EXAMPLES, CancelBody, CancelHeaders, CancelQuery, CancelResponse, CommonHeaders, NoQuery, ORDER_ITEMS_EXAMPLES, OrderItemsResponse, OrderParams } from './schemas.js'

type CancelRequest = FastifyRequest<{ Params: Static<typeof OrderParams>, Querystring: Static<typeof CancelQuery>, Body: Static<typeof CancelBody> }>

// Documented the same in every deployment, so the OpenAPI document does not depend on configuration;
// the scope listed is the one a real request needs (a dry run needs orders:read only).
const readSecurity = [{ bearerAuth: ['orders:read'] }]
const cancelSecurity = [{ bearerAuth: ['orders:cancel'] }]

const listed = (statuses: readonly string[]): string => statuses.map((status) => `\`${status}\``).join(', ')

/** What a support lead needs to know before cancelling; the status lists come from the status policy. */
const CANCEL_DESCRIPTION = [
  `**Cancellable (pre-production) statuses:** ${listed(CANCELLABLE_STATUSES)}. Statuses are compared ignoring case, spaces, \`_\` and \`-\`. Every other status (Test, PaymentIssue, InProduction, Shipped, …) is not cancellable.`,
  '',
  `**Already cancelled** (${listed(CANCELLED_STATUSES)}): reported as \`already_cancelled\` and not forwarded.`,
  '',
  '**All or nothing:** when any requested item is not in the order (422), or past pre-production or listed by Gooten twice with different statuses (409), nothing is forwarded. Otherwise one cancel call goes to Gooten, and an item counts as cancelled only when Gooten confirms it.',
  '',
  'A 200 answer\'s `outcome` and each item\'s `result` are explained in the CancelResult and ItemResult schemas below; every other answer is a Problem (`application/problem+json`), and each status below says what its codes mean and what to do. Send an `Idempotency-Key` so that a retry never cancels twice.',
  '',
  '**Scope:** `orders:cancel`; a dry run (`?dryRun=true`) needs `orders:read` only.'
].join('\n')

/** The order routes: HTTP shapes, and the domain call. Auth, rate limits, deadlines and idempotency are plugins. */
const ordersRoutes: FastifyPluginAsyncTypebox = async (app) => {
  // A credential of ours fits the id pattern (a caller key of 64 hex characters, the recipe id), and
  // the id goes to Gooten in a URL and to the audit line: refused before either. An instance hook,
  // so it runs before the route's own (the Idempotency-Key claim).
  app.addHook('preHandler', (request, _reply, done) => {
    const { orderId } = request.params as { orderId: string }
    if (app.redactSecrets(orderId) === orderId) {
      done()
      return
    }
    done(new ProblemError('VALIDATION_FAILED', PROBLEMS.VALIDATION_FAILED.detail.credentialAsOrderId, {
      body: { errors: [{ path: '/params/orderId', message: 'must not hold a credential' }] }
    }))
  })

  app.get('/orders/:orderId/items', {
    config: { requiredScope: () => 'orders:read' },
    schema: {
      tags: ['orders'],
      operationId: 'listOrderItems',
      summary: 'List an order\'s items and whether each can be cancelled',
      description: 'Looks the order up at Gooten and shows each item\'s id, SKU, quantity, Gooten status and whether it is still cancellable. Needs the orders:read scope.',
      security: readSecurity,
      params: OrderParams,
      querystring: NoQuery,
      headers: CommonHeaders,
      response: {
        200: jsonResponse('The order\'s items', OrderItemsResponse, ORDER_ITEMS_EXAMPLES),
        ...PROBLEM_RESPONSES.read
      }
    }
  }, async (request) => await app.cancellation.view(request.params.orderId, app.callContext(request)))

  app.post('/orders/:orderId/items/cancel', {
    config: {
      // A dry run changes nothing: reading is enough.
      requiredScope: ({ query }: CancelRequest) => query.dryRun === 'true' ? 'orders:read' : 'orders:cancel',
      // The order id as sent (Gooten tells Safe Order IDs apart by case), the items in any order, and dryRun.
      idempotencyFingerprint: ({ params, body, query }: CancelRequest) =>
        `${params.orderId}|${[...body.itemIds].sort((a, b) => a - b).join(',')}|${query.dryRun === 'true'}`
    },
    schema: {
      tags: ['orders'],
      operationId: 'cancelOrderItems',
      summary: 'Cancel items of an order that is still pre-production',
      description: CANCEL_DESCRIPTION,
      security: cancelSecurity,
      params: OrderParams,
      querystring: CancelQuery,
      headers: CancelHeaders,
      body: CancelBody,
      response: {
        200: jsonResponse('The result. `partially_cancelled` comes as a 200 too: check each item\'s `result`', CancelResponse, CANCEL_RESULT_EXAMPLES),
        ...PROBLEM_RESPONSES.cancel
      }
    }
  }, async (request) => {
    const { orderId } = request.params
    const { itemIds, reason } = request.body
    const dryRun = request.query.dryRun === 'true'
    const audit = (outcome: string): void => {
      const { caller, subject = null, actor = null } = request.callerContext
      request.log.info({ audit: 'cancel', caller, subject, actor, orderId: app.redactSecrets(orderId), itemIds, reason: reason === undefined ? null : app.redactSecrets(reason), dryRun, outcome }, 'cancel audit')
    }
    try {
      const result = await app.cancellation.cancel({ orderId, itemIds, dryRun }, app.callContext(request))
      audit(result.outcome)
      // For the business metrics (plugins/metrics.ts), counted once the answer has gone.
      request.answerOutcome = result.outcome
      request.answerItems = result.items
      return { ...result, requestId: request.id }
    } catch (error) {
      audit(toProblem(error).code)
      request.answerItems = itemResultsOf(error)
      throw error
    }
  })
}

export default ordersRoutes
