import fp from 'fastify-plugin'

/**
 * Echoes the request id, and writes one access line per finished request: a canonical log line,
 * which also summarises the request's Gooten calls (op, attempt, status, ms, outcome).
 */
export default fp(async function requestLog (app) {
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id)
    done()
  })

  app.addHook('onResponse', (request, reply, done) => {
    const line: Record<string, unknown> = {
      method: request.method,
      route: request.routeOptions.url ?? '<unmatched>',
      status: reply.statusCode,
      ms: Math.round(reply.elapsedTime * 10) / 10,
      // Only routes behind caller-auth have a caller; pino leaves an undefined one out.
      caller: request.caller
    }
    if (request.problemCode !== undefined) line.code = request.problemCode
    const calls = request.upstream?.calls
    if (calls !== undefined && calls.length > 0) line.upstream = calls
    request.log.info(line, 'request finished')
    done()
  })
}, { name: 'request-log' })
