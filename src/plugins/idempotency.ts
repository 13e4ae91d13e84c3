import { createHash } from 'node:crypto'
import fp from 'fastify-plugin'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { PROBLEMS, saysTryAgain } from '../problems/catalogue.js'
import { ProblemError } from '../problems/problem-error.js'
import { ANSWER_TTL_MS, ERROR_ANSWER_TTL_MS, type HeldClaim } from '../stores/idempotency/types.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** Set while this request holds an Idempotency-Key claim. */
    idempotencyClaim: HeldClaim | undefined
  }
  interface FastifyContextConfig {
    /** What makes two requests with the same Idempotency-Key the same request (a method: see requiredScope in caller-auth.ts). */
    idempotencyFingerprint?(request: FastifyRequest): string
  }
}

/**
 * Idempotency-Key for the routes that declare a fingerprint, after the IETF httpapi draft and
 * Stripe: the first completed answer for caller + route + key is replayed for 24 h (a 4xx for 1 h); the same key
 * with another request is refused, and so is a second try while the first still runs. Answers of
 * 5xx, ORDER_BUSY and CANCEL_IN_DOUBT are not kept: nothing is known to have happened, so a retry should run again.
 */
export default fp(async function idempotency (app) {
  const store = app.stores.idempotency
  app.decorateRequest('idempotencyClaim', undefined)

  app.addHook('onRoute', (route) => {
    const declared = route.config?.idempotencyFingerprint
    if (declared === undefined) return
    const fingerprintOf: (request: FastifyRequest) => string = declared

    async function claim (request: FastifyRequest, reply: FastifyReply, idempotencyKey: string): Promise<FastifyReply | undefined> {
      // Hashed: keys are caller-chosen text, and the store key must be bounded and opaque.
      const key = createHash('sha256').update(`${request.caller}\n${route.url}\n${idempotencyKey}`).digest('hex')
      // Hashed too: compared for equality only, and a hundred item ids would take some 900 bytes of every record.
      const fingerprint = createHash('sha256').update(fingerprintOf(request)).digest('base64url')
      // A store that cannot be reached throws StoreUnavailableError: 503, and nothing is cancelled.
      const outcome = await store.claim(key, fingerprint)
      switch (outcome.kind) {
        case 'claimed':
          request.idempotencyClaim = outcome.claim
          return undefined
        case 'replay':
          request.answerOutcome = 'replayed'
          return await reply.code(outcome.answer.status).type(outcome.answer.contentType).header('idempotency-replayed', 'true').send(outcome.answer.body)
        case 'in_progress':
          throw new ProblemError('IDEMPOTENCY_KEY_IN_USE', PROBLEMS.IDEMPOTENCY_KEY_IN_USE.detail.inUse)
        case 'mismatch':
          throw new ProblemError('IDEMPOTENCY_KEY_REUSED', PROBLEMS.IDEMPOTENCY_KEY_REUSED.detail.reused)
      }
    }

    async function record (request: FastifyRequest, reply: FastifyReply, held: HeldClaim, payload: unknown): Promise<unknown> {
      request.idempotencyClaim = undefined
      try {
        // Answers that say "try again" are not kept: the retry with the same key must run again.
        if (reply.statusCode >= 500 || (request.problemCode !== undefined && saysTryAgain(request.problemCode))) await store.release(held)
        else {
          // A refusal changed nothing at Gooten: kept for an hour, not a day.
          const ttlMs = reply.statusCode >= 400 ? ERROR_ANSWER_TTL_MS : ANSWER_TTL_MS
          await store.complete(held, { status: reply.statusCode, contentType: String(reply.getHeader('content-type')), body: String(payload) }, ttlMs)
        }
      } catch {
        // The answer still goes out; the claim expires on its own.
        request.log.warn({ store: 'idempotency' }, 'could not record the answer for its Idempotency-Key')
      }
      return payload
    }

    // Callback hooks that pass straight on for requests without a key: no promise on the common path.
    const claimIfKeyed = (request: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void): void => {
      const idempotencyKey = request.headers['idempotency-key']
      if (typeof idempotencyKey !== 'string') {
        done()
        return
      }
      claim(request, reply, idempotencyKey).then((answered) => { if (answered === undefined) done() }, done)
    }
    const recordIfClaimed = (request: FastifyRequest, reply: FastifyReply, payload: unknown, done: (error: Error | null, payload: unknown) => void): void => {
      const held = request.idempotencyClaim
      if (held === undefined) {
        done(null, payload)
        return
      }
      record(request, reply, held, payload).then((kept) => { done(null, kept) }, (error: Error) => { done(error, payload) })
    }
    route.preHandler = [...[route.preHandler].flat().filter((hook) => hook !== undefined), claimIfKeyed]
    route.onSend = [...[route.onSend ?? []].flat(), recordIfClaimed]
  })
}, { name: 'idempotency', dependencies: ['stores', 'problems', 'metrics'] })
