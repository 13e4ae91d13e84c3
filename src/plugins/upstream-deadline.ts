import fp from 'fastify-plugin'
import type { FastifyRequest } from 'fastify'
import type { CallContext } from '../gooten/client.js'
import { Deadline } from '../gooten/deadline.js'

declare module 'fastify' {
  interface FastifyRequest {
    /**
     * This request's one deadline for all its Gooten calls, and their record for the access line.
     * Set once the request is valid (preHandler): absent before, and on routes outside this scope.
     */
    upstream: CallContext | undefined
  }
  interface FastifyInstance {
    /** The request's context for Gooten calls, for the handlers of this scope. */
    callContext: (request: FastifyRequest) => CallContext
  }
}

/** Gives every valid request of this scope one deadline (UPSTREAM_TIMEOUT_MS) shared by all its Gooten calls. */
export default fp(async function upstreamDeadline (app) {
  const timeoutMs = app.config.upstream.timeoutMs
  app.decorateRequest('upstream', undefined)
  app.addHook('preHandler', (request, _reply, done) => {
    // A point in time, not a timer: nothing to free when the answer is out, and a caller hanging up
    // cannot lift it from work still running.
    request.upstream = { deadline: Deadline.in(timeoutMs), log: request.log, calls: [] }
    done()
  })
  app.decorate('callContext', (request: FastifyRequest): CallContext => {
    const context = request.upstream
    // Every handler of this scope runs after the preHandler above; a route outside it has no `callContext`.
    /* c8 ignore next */
    if (context === undefined) throw new Error('the request has no upstream deadline yet')
    return context
  })
}, { name: 'upstream-deadline' })
