import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import rateLimit from '@fastify/rate-limit'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Redis } from 'ioredis'
import type { CallContext } from '../gooten/client.js'
import type { Config } from '../config.js'
import { ProblemError } from '../http/problems.js'
import { toProblem } from '../http/error-mapping.js'
import { callerAuthentication, requireWriteAccess } from '../plugins/caller-auth.js'
import { idempotencyHooks } from '../plugins/idempotency.js'
import type { IdempotencyStore } from '../stores/idempotency/types.js'
import { jsonResponse, PROBLEM_RESPONSES } from './problem-responses.js'
import { CANCEL_RESULT_EXAMPLES, CancelBody, CancelHeaders, CancelQuery, CancelResponse, CommonHeaders, NoQuery, ORDER_ITEMS_EXAMPLES, OrderItemsResponse, OrderParams } from './schemas.js'

export interface OrdersRoutesOptions {
  config: Config
  idempotency: IdempotencyStore
  /** Shared rate-limit counters across replicas, when REDIS_URL is set. */
  redis: Redis | undefined
}

/** One deadline for all upstream work of this request. */
function callContext (request: FastifyRequest, reply: FastifyReply, timeoutMs: number): CallContext {
  const controller = new AbortController()
  const timer = setTimeout(() => controller.abort(), timeoutMs)
  // Freed as soon as the answer is out: AbortSignal.timeout() would hold its signal, and whatever
  // listens to it, for the whole deadline, thousands of them under load. Not on 'close': a caller
  // hanging up must not lift the deadline from work still running (a late cancel to Gooten).
  reply.raw.once('finish', () => clearTimeout(timer))
  return { signal: controller.signal, deadline: Date.now() + timeoutMs, log: request.log }
}

const BODY_LIMIT_BYTES = 16 * 1024

const CANCEL_ROUTE = '/orders/:orderId/items/cancel'

const ordersRoutes: FastifyPluginAsyncTypebox<OrdersRoutesOptions> = async (app, { config, idempotency, redis }) => {
  app.decorateRequest('callerReadOnly', false)
  app.decorateRequest('authenticationProblem', undefined)
  app.decorateRequest('idempotencyClaim', undefined)
  const idempotent = idempotencyHooks(idempotency, CANCEL_ROUTE)
  // Documented the same in every deployment, so the OpenAPI document does not depend on configuration.
  const security = [{ callerKey: [] }]
  if (config.callerKeys !== undefined) {
    const authentication = callerAuthentication(config.callerKeys)
    app.addHook('onRequest', authentication.identify)
    // After every onRequest hook, the rate limiter's included; before the body is read.
    app.addHook('preParsing', authentication.enforce)
  }
  // No decoder runs, so a compressed body would be read as plain JSON (or fail as invalid JSON).
  app.addHook('onRequest', (request, _reply, done) => {
    const encoding = request.headers['content-encoding']
    if (encoding === undefined || encoding.trim().toLowerCase() === 'identity') {
      done()
      return
    }
    done(new ProblemError('UNSUPPORTED_MEDIA_TYPE', 'Send the body uncompressed: no Content-Encoding is accepted.'))
  })

  await app.register(rateLimit, {
    max: config.rateLimitPerMinute,
    timeWindow: 60_000,
    enableDraftSpec: true,
    // With Redis the counters are shared by every replica; if Redis is away, requests are not limited rather than refused.
    ...(redis === undefined ? {} : { redis, nameSpace: 'gop:rate:', skipOnError: true }),
    // Per caller when keys are on and the key is good (identified first), else per client address.
    keyGenerator: (request) => config.callerKeys === undefined || request.authenticationProblem !== undefined ? `ip:${request.ip}` : `caller:${request.caller}`,
    errorResponseBuilder: (_request, context) => new ProblemError('RATE_LIMITED', `Over ${context.max} requests per minute; retry in ${context.after}.`)
  })

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
  }, async (request, reply) => {
    return await app.cancellation.view(request.params.orderId, callContext(request, reply, config.upstream.timeoutMs))
  })

  app.post(CANCEL_ROUTE, {
    bodyLimit: BODY_LIMIT_BYTES,
    preHandler: [
      async (request, reply) => {
        if (request.query.dryRun !== 'true') await requireWriteAccess(request, reply)
      },
      idempotent.preHandler
    ],
    onSend: idempotent.onSend,
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
  }, async (request, reply) => {
    const { orderId } = request.params
    const { itemIds, reason } = request.body
    const dryRun = request.query.dryRun === 'true'
    const audit = (outcome: string): void => {
      request.log.info({ audit: 'cancel', caller: request.caller, orderId, itemIds, reason: reason ?? null, dryRun, outcome }, 'cancel audit')
    }
    try {
      const result = await app.cancellation.cancel({ orderId, itemIds, dryRun }, callContext(request, reply, config.upstream.timeoutMs))
      audit(result.outcome)
      return { ...result, requestId: request.id }
    } catch (error) {
      audit(toProblem(error).code)
      throw error
    }
  })
}

export default ordersRoutes
