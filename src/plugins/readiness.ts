import type { Socket } from 'node:net'
import { PassThrough } from 'node:stream'
import type { FastifyReply, FastifyRequest, RequestPayload } from 'fastify'
import fp from 'fastify-plugin'
import { PROBLEMS } from '../problems/catalogue.js'
import { ProblemError } from '../problems/problem-error.js'
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

const SHUTTING_DOWN = PROBLEMS.NOT_READY.detail.shuttingDown

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

  // Requests in flight on each connection. A reply normally ends with its own 'close'; one still
  // queued behind a pipelined request when its connection dies never gets one, so the connection's
  // 'close' ends whatever is left on it (one listener per connection, not per request).
  const pendingOn = new WeakMap<Socket, Set<() => void>>()
  const pendingFor = (socket: Socket): Set<() => void> => {
    let pending = pendingOn.get(socket)
    if (pending === undefined) {
      const created = new Set<() => void>()
      socket.once('close', () => { for (const answered of created) answered() })
      pendingOn.set(socket, created)
      pending = created
    }
    return pending
  }

  app.addHook('onRequest', (request, reply, done) => {
    inFlight++
    const pending = pendingFor(request.raw.socket)
    const answered = (): void => {
      // Once per request: Node emits a reply's 'close' before its connection's, so this is a guard
      // against a future Node emitting both for one request, which no test can make today.
      /* c8 ignore next */
      if (!pending.delete(answered)) return
      inFlight--
      if (inFlight === 0) drained?.()
    }
    pending.add(answered)
    reply.raw.once('close', answered)
    if (state === 'draining' && !request.routeOptions.url?.startsWith('/health/')) {
      // Answered here without `done()`: the request ends at its 503.
      sendProblem(request, reply, { code: 'NOT_READY', detail: SHUTTING_DOWN })
      return
    }
    done()
  })

  // A body that arrived with its headers (the usual case) is read as it is. One still on its way is
  // read through a stream of our own, which the drain can end with a NOT_READY error: Fastify's
  // body reader then answers it through the error handler, once. Ending Node's request instead would
  // close the socket before any answer, and answering beside the reader would make it answer again
  // (Fastify's "Reply was already sent") when the client then goes away.
  const drainable = (request: FastifyRequest, reply: FastifyReply, payload: RequestPayload): RequestPayload => {
    const body = new PassThrough()
    // Nobody reads `body` when the answer came before the body (415, 413, a GET's body); an error
    // it ends with then has nobody to tell.
    body.on('error', () => {})
    payload.pipe(body)
    const turnAway = (): void => {
      if (!request.raw.complete) body.destroy(new ProblemError('NOT_READY', SHUTTING_DOWN))
    }
    arriving.add(turnAway)
    reply.raw.once('close', () => {
      arriving.delete(turnAway)
      // The rest of a body nobody reads is discarded, as Node does for an unread request, rather than
      // held up behind `body` until the request timeout.
      payload.unpipe(body)
      payload.resume()
    })
    return body
  }
  // Fastify runs this hook while Node is still parsing the read that held the headers, before the
  // body in that same read. Looking again once that read is done (setImmediate: a microtask still
  // runs before the body is parsed) spares almost every request the stream and its listeners. A
  // socket's 'close' comes in the event loop's close phase, after the immediates: the listener
  // added then still hears it.
  app.addHook('preParsing', (request, reply, payload, done) => {
    // Fastify never reads the body of a GET or HEAD; Node discards it once the answer is written.
    if (request.raw.complete || request.method === 'GET' || request.method === 'HEAD') {
      done(null, payload)
      return
    }
    setImmediate(() => {
      if (request.raw.complete) done(null, payload)
      // Draining since the request came in: its body is not waited for.
      else if (state === 'draining') done(new ProblemError('NOT_READY', SHUTTING_DOWN))
      else done(null, drainable(request, reply, payload))
    })
  })

  app.addHook('onSend', (_request, reply, payload, done) => {
    if (state === 'draining') reply.header('connection', 'close')
    done(null, payload)
  })
}, { name: 'readiness' })
