import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'

/** Called once per request: with `hungUp` true when the caller left before the answer was written. */
export type RequestEndListener = (request: FastifyRequest, reply: FastifyReply, hungUp: boolean) => void

/**
 * Calls `listener` exactly once for every request, answered or not. Fastify's onResponse follows the
 * answer's 'finish', which never comes once the caller has hung up; the answer is still made (the
 * work, and its Gooten calls, run to the end), so the request ends when it is handed to a socket
 * that is gone, or when the socket goes while it is being written.
 */
export function onRequestEnd (app: FastifyInstance, listener: RequestEndListener): void {
  const ended = new WeakSet<FastifyRequest>()
  const end = (request: FastifyRequest, reply: FastifyReply, hungUp: boolean): void => {
    if (ended.has(request)) return
    ended.add(request)
    listener(request, reply, hungUp)
  }
  app.addHook('onSend', (request, reply, payload, done) => {
    if (reply.raw.destroyed) end(request, reply, true)
    else reply.raw.once('close', () => { if (!reply.raw.writableFinished) end(request, reply, true) })
    done(null, payload)
  })
  app.addHook('onResponse', (request, reply, done) => {
    end(request, reply, false)
    done()
  })
}
