import fp from 'fastify-plugin'

declare module 'fastify' {
  interface FastifyRequest {
    /** Who is calling: the caller key's name, or 'anonymous' when keys are off. */
    caller: string
  }
}

/** Echoes the request id and writes one access line per finished request. */
export default fp(async function requestLog (app) {
  app.decorateRequest('caller', 'anonymous')

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id)
  })

  app.addHook('onResponse', async (request, reply) => {
    request.log.info({
      method: request.method,
      route: request.routeOptions.url ?? '<unmatched>',
      status: reply.statusCode,
      ms: Math.round(reply.elapsedTime * 10) / 10,
      caller: request.caller,
      ...(request.problemCode === undefined ? {} : { code: request.problemCode })
    }, 'request finished')
  })
}, { name: 'request-log' })
