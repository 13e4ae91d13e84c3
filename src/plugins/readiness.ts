import { PassThrough } from 'node:stream'
import fp from 'fastify-plugin'
import { ProblemError } from '../http/problems.js'
import { sendProblem } from './problems.js'

export type ReadinessState = 'starting' | 'ready' | 'draining'

declare module 'fastify' {
  interface FastifyInstance {
    readiness: {
      readonly state: ReadinessState
      /**
       * Stops taking new requests and turns away those whose body is still arriving; resolves once
       * every other request in flight has been answered.
       */
      drain: () => Promise<void>
    }
  }
}

const SHUTTING_DOWN = 'The service is shutting down; retry on another replica.'

/**
 * Ready once the app has booted. From the first shutdown signal on it is draining: requests
 * already in flight finish, new ones get a 503 (so the gateway retries them on another replica),
 * and every answer asks keep-alive clients to reconnect elsewhere. A request whose body has not
 * fully arrived when the drain starts is not waited for: it gets the same 503 at once.
 */
export default fp(async function readiness (app) {
  let state: ReadinessState = 'starting'
  let inFlight = 0
  let drained: (() => void) | undefined
  // One per request whose body is still arriving: turns it away unless the body has arrived since.
  const arriving = new Set<() => void>()

  app.decorate('readiness', {
    get state () { return state },
    drain: async () => {
      state = 'draining'
      for (const turnAway of arriving) turnAway()
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
      return sendProblem(request, reply, { code: 'NOT_READY', detail: SHUTTING_DOWN, retryAfterSeconds: 1 })
    }
  })

  // A body that arrived with its headers (the usual case) is read as it is. One still on its way is
  // read through a stream of our own, which the drain can end with a NOT_READY error: Fastify's
  // body reader then answers it through the error handler, once. Ending Node's request instead would
  // close the socket before any answer, and answering beside the reader would make it answer again
  // (Fastify's "Reply was already sent") when the client then goes away.
  // (A callback hook: it runs for every request, and the usual case needs no promise.)
  app.addHook('preParsing', (request, reply, payload, done) => {
    if (request.raw.complete) {
      done(null, payload)
      return
    }
    const body = new PassThrough()
    // Nobody reads `body` when the answer came before the body (415, 413, a GET's body); an error
    // it ends with then has nobody to tell.
    body.on('error', () => {})
    payload.pipe(body)
    const turnAway = (): void => {
      if (!request.raw.complete) body.destroy(new ProblemError('NOT_READY', SHUTTING_DOWN, { retryAfterSeconds: 1 }))
    }
    arriving.add(turnAway)
    reply.raw.once('close', () => {
      arriving.delete(turnAway)
      // The rest of a body nobody reads is discarded, as Node does for an unread request, rather than
      // held up behind `body` until the request timeout.
      payload.unpipe(body)
      payload.resume()
    })
    if (state === 'draining') turnAway()
    done(null, body)
  })

  app.addHook('onSend', async (_request, reply) => {
    if (state === 'draining') reply.header('connection', 'close')
  })
}, { name: 'readiness' })
