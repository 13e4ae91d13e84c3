import fp from 'fastify-plugin'
import type { CallContext } from '../gooten/client.js'

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
  app.addHook('preHandler', (request, reply, done) => {
    const controller = new AbortController()
    const timer = setTimeout(() => controller.abort(), timeoutMs)
    // Freed as soon as the answer is out: AbortSignal.timeout() would hold its signal, and whatever
    // listens to it, for the whole deadline, thousands of them under load. Not on 'close': a caller
    // hanging up must not lift the deadline from work still running (a late cancel to Gooten).
    reply.raw.once('finish', () => clearTimeout(timer))
    request.upstream = { signal: controller.signal, deadline: Date.now() + timeoutMs, log: request.log, calls: [] }
    done()
  })
}, { name: 'upstream-deadline' })
