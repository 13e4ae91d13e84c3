import fp from 'fastify-plugin'

export type ReadinessState = 'starting' | 'ready' | 'draining'

declare module 'fastify' {
  interface FastifyInstance {
    readiness: { state: ReadinessState, drain: () => void }
  }
}

/** Ready once the app has booted; draining from the first shutdown signal on. */
export default fp(async function readiness (app) {
  const readinessState = {
    state: 'starting' as ReadinessState,
    drain: () => { readinessState.state = 'draining' }
  }
  app.decorate('readiness', readinessState)
  app.addHook('onReady', async () => {
    if (readinessState.state === 'starting') readinessState.state = 'ready'
  })
  // While draining, ask keep-alive clients (the gateway) to reconnect elsewhere after this answer.
  app.addHook('onSend', async (_request, reply) => {
    if (readinessState.state === 'draining') reply.header('connection', 'close')
  })
}, { name: 'readiness' })
