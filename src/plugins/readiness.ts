import fp from 'fastify-plugin'
import { sendProblem } from './problems.js'

export type ReadinessState = 'starting' | 'ready' | 'draining'

declare module 'fastify' {
  interface FastifyInstance {
    readiness: {
      readonly state: ReadinessState
      /** Stops taking new requests; resolves once every request in flight has been answered. */
      drain: () => Promise<void>
    }
  }
}

/**
 * Ready once the app has booted. From the first shutdown signal on it is draining: requests
 * already in flight finish, new ones get a 503 (so the gateway retries them on another replica),
 * and every answer asks keep-alive clients to reconnect elsewhere.
 */
export default fp(async function readiness (app) {
  let state: ReadinessState = 'starting'
  let inFlight = 0
  let drained: (() => void) | undefined

  app.decorate('readiness', {
    get state () { return state },
    drain: async () => {
      state = 'draining'
      if (inFlight === 0) return
      await new Promise<void>((resolve) => { drained = resolve })
    }
  })

  app.addHook('onReady', async () => {
    if (state === 'starting') state = 'ready'
  })

  app.addHook('onRequest', async (request, reply) => {
    inFlight++
    let counted = true
    const done = (): void => {
      if (!counted) return
      counted = false
      inFlight--
      if (inFlight === 0) drained?.()
    }
    // 'close' fires for every reply that got its turn on the socket, even when the client went away
    // first. A pipelined request still queued behind another when its connection dies never gets
    // one; Node closes its request instead.
    reply.raw.once('close', done)
    request.raw.once('close', () => { if (request.raw.socket.destroyed) done() })
    if (state === 'draining' && !request.routeOptions.url?.startsWith('/health/')) {
      return sendProblem(request, reply, { code: 'NOT_READY', detail: 'The service is shutting down; retry on another replica.', retryAfterSeconds: 1 })
    }
  })

  app.addHook('onSend', async (_request, reply) => {
    if (state === 'draining') reply.header('connection', 'close')
  })
}, { name: 'readiness' })
