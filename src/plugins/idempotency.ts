import { createHash } from 'node:crypto'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { ProblemError } from '../http/problems.js'
import type { IdempotencyStore } from '../stores/idempotency/types.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** Set while this request holds an Idempotency-Key claim. */
    idempotencyClaim: { key: string, token: string } | undefined
  }
}

interface CancelRequestShape {
  params: { orderId: string }
  body: { itemIds: number[] }
  query: { dryRun?: string }
}

/**
 * Idempotency-Key for the cancel route, after the IETF httpapi draft and Stripe: the first
 * completed answer for caller + route + key is replayed for 24 h; the same key with another
 * request is refused, and so is a second try while the first still runs. Answers of 5xx and
 * ORDER_BUSY are not kept: nothing is known to have happened, so a retry should run again.
 */
export function idempotencyHooks (store: IdempotencyStore, route: string) {
  async function preHandler (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> {
    const idempotencyKey = request.headers['idempotency-key']
    if (typeof idempotencyKey !== 'string') return undefined
    const { params, body, query } = request as unknown as CancelRequestShape
    // Hashed: keys are caller-chosen text, and the store key must be bounded and opaque.
    const key = createHash('sha256').update(`${request.caller}\n${route}\n${idempotencyKey}`).digest('hex')
    const fingerprint = `${params.orderId}|${[...body.itemIds].sort((a, b) => a - b).join(',')}|${query.dryRun === 'true'}`
    // A store that cannot be reached throws StoreUnavailableError: 503, and nothing is cancelled.
    const claim = await store.claim(key, fingerprint)
    switch (claim.kind) {
      case 'claimed':
        request.idempotencyClaim = { key, token: claim.token }
        return undefined
      case 'replay':
        return await reply.code(claim.answer.status).type(claim.answer.contentType).header('idempotency-replayed', 'true').send(claim.answer.body)
      case 'in_progress':
        throw new ProblemError('IDEMPOTENCY_KEY_IN_USE', 'A request with this Idempotency-Key is still being processed; retry shortly.', { retryAfterSeconds: 1 })
      case 'mismatch':
        throw new ProblemError('IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key was already used with a different order, items or dry run.')
    }
  }

  async function onSend (request: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<unknown> {
    const claim = request.idempotencyClaim
    if (claim === undefined) return payload
    request.idempotencyClaim = undefined
    try {
      // Answers that say "try again" are not kept: the retry with the same key must run again.
      if (reply.statusCode >= 500 || request.problemCode === 'ORDER_BUSY') await store.release(claim.key, claim.token)
      else await store.complete(claim.key, claim.token, { status: reply.statusCode, contentType: String(reply.getHeader('content-type')), body: String(payload) })
    } catch {
      // The answer still goes out; the claim expires on its own.
      request.log.warn({ store: 'idempotency' }, 'could not record the answer for its Idempotency-Key')
    }
    return payload
  }

  return { preHandler, onSend }
}
