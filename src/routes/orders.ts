import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { jsonResponse, PROBLEM_RESPONSES } from '../http/problem-responses.js'
import { toProblem } from '../http/error-mapping.js'
import { CANCEL_RESULT_EXAMPLES, CancelBody, CancelHeaders, CancelQuery, CancelResponse, CommonHeaders, NoQuery, ORDER_ITEMS_EXAMPLES, OrderItemsResponse, OrderParams } from './schemas.js'

interface CancelShape { params: { orderId: string }, query: { dryRun?: string }, body: { itemIds: number[] } }

// Documented the same in every deployment, so the OpenAPI document does not depend on configuration;
// the scope listed is the one a real request needs (a dry run needs orders:read only).
const readSecurity = [{ bearerAuth: ['orders:read'] }]
const cancelSecurity = [{ bearerAuth: ['orders:cancel'] }]

/** The order routes: HTTP shapes, and the domain call. Auth, rate limits, deadlines and idempotency are plugins. */
const ordersRoutes: FastifyPluginAsyncTypebox = async (app) => {
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
  }, async (request) => await app.cancellation.view(request.params.orderId, request.upstream))

  app.post('/orders/:orderId/items/cancel', {
    config: {
      // A dry run changes nothing: reading is enough.
      requiredScope: (request) => (request as unknown as CancelShape).query.dryRun === 'true' ? 'orders:read' : 'orders:cancel',
      // The order id as sent (Gooten tells Safe Order IDs apart by case), the items in any order, and dryRun.
      idempotencyFingerprint: (request) => {
        const { params, body, query } = request as unknown as CancelShape
        return `${params.orderId}|${[...body.itemIds].sort((a, b) => a - b).join(',')}|${query.dryRun === 'true'}`
      }
    },
    schema: {
      tags: ['orders'],
      operationId: 'cancelOrderItems',
      summary: 'Cancel items of an order that is still pre-production',
      description: [
        'Looks the order up at Gooten, checks that every requested item is in the order and in a',
        'pre-production status, then forwards one cancel call with the items that still need it.',
        'All-or-nothing pre-checks: when any item fails one, nothing is forwarded.',
        'Items already cancelled are reported as `already_cancelled` and not forwarded.',
        'Needs the orders:cancel scope; a dry run (`?dryRun=true`) needs orders:read only.'
      ].join(' '),
      security: cancelSecurity,
      params: OrderParams,
      querystring: CancelQuery,
      headers: CancelHeaders,
      body: CancelBody,
      response: {
        200: jsonResponse('Items cancelled (or all already cancelled), or the dry run\'s verdict', CancelResponse, CANCEL_RESULT_EXAMPLES),
        ...PROBLEM_RESPONSES.cancel
      }
    }
  }, async (request) => {
    const { orderId } = request.params
    const { itemIds, reason } = request.body
    const dryRun = request.query.dryRun === 'true'
    const audit = (outcome: string): void => {
      const { caller, subject = null, actor = null } = request.callerContext
      request.log.info({ audit: 'cancel', caller, subject, actor, orderId, itemIds, reason: reason === undefined ? null : app.redactSecrets(reason), dryRun, outcome }, 'cancel audit')
    }
    try {
      const result = await app.cancellation.cancel({ orderId, itemIds, dryRun }, request.upstream)
      audit(result.outcome)
      return { ...result, requestId: request.id }
    } catch (error) {
      audit(toProblem(error).code)
      throw error
    }
  })
}

export default ordersRoutes
