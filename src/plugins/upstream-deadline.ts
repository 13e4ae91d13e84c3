import fp from 'fastify-plugin'
import type { CallContext } from '../gooten/client.js'
import { Deadline } from '../gooten/deadline.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** This request's one deadline for all its Gooten calls; set once the request is valid. */
    upstream: CallContext
  }
}

/** Gives every valid request of this scope one deadline (UPSTREAM_TIMEOUT_MS) shared by all its Gooten calls. */
export default fp(async function upstreamDeadline (app) {
  const timeoutMs = app.config.upstream.timeoutMs
  app.decorateRequest('upstream', null as unknown as CallContext)
  app.addHook('preHandler', (request, _reply, done) => {
    // A point in time, not a timer: nothing to free when the answer is out, and a caller hanging up
    // cannot lift it from work still running.
    request.upstream = { deadline: Deadline.in(timeoutMs), log: request.log, calls: [] }
    done()
  })
}, { name: 'upstream-deadline' })
