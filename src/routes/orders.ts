import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { Static } from '@sinclair/typebox'
import type { FastifyRequest } from 'fastify'
import { jsonResponse, PROBLEM_RESPONSES } from '../http/problem-responses.js'
import { toProblem } from '../http/error-mapping.js'
import { CANCEL_RESULT_EXAMPLES, CancelBody, CancelHeaders, CancelQuery, CancelResponse, CommonHeaders, NoQuery, ORDER_ITEMS_EXAMPLES, OrderItemsResponse, OrderParams } from './schemas.js'

type CancelRequest = FastifyRequest<{ Params: Static<typeof OrderParams>, Querystring: Static<typeof CancelQuery>, Body: Static<typeof CancelBody> }>

// Documented the same in every deployment, so the OpenAPI document does not depend on configuration.
const security = [{ callerKey: [] }]

/** The order routes: HTTP shapes, and the domain call. Auth, rate limits, deadlines and idempotency are plugins. */
const ordersRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/orders/:orderId/items', {
    schema: {
      tags: ['orders'],
      operationId: 'listOrderItems',
      summary: 'List an order\'s items and whether each can be cancelled',
      description: 'Looks the order up at Gooten and shows each item\'s id, SKU, quantity, Gooten status and whether it is still cancellable.',
      security,
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
      changesState: ({ query }: CancelRequest) => query.dryRun !== 'true',
      // The order id as sent (Gooten tells Safe Order IDs apart by case), the items in any order, and dryRun.
      idempotencyFingerprint: ({ params, body, query }: CancelRequest) =>
        `${params.orderId}|${[...body.itemIds].sort((a, b) => a - b).join(',')}|${query.dryRun === 'true'}`
    },
    schema: {
      tags: ['orders'],
      operationId: 'cancelOrderItems',
      summary: 'Cancel items of an order that is still pre-production',
      description: [
        'Looks the order up at Gooten, checks that every requested item is in the order and in a',
        'pre-production status, then forwards one cancel call with the items that still need it.',
        'All-or-nothing pre-checks: when any item fails one, nothing is forwarded.',
        'Items already cancelled are reported as `already_cancelled` and not forwarded.'
      ].join(' '),
      security,
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
      request.log.info({ audit: 'cancel', caller: request.caller, orderId, itemIds, reason: reason === undefined ? null : app.redactSecrets(reason), dryRun, outcome }, 'cancel audit')
    }
    try {
      const result = await app.cancellation.cancel({ orderId, itemIds, dryRun }, app.callContext(request))
      audit(result.outcome)
      return { ...result, requestId: request.id }
    } catch (error) {
      audit(toProblem(error).code)
      throw error
    }
  })
}

export default ordersRoutes
