import fp from 'fastify-plugin'
import { onRequestEnd } from './request-end.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** More for this request's access line, from the route that served it (the MCP tools called). */
    accessDetails: Record<string, unknown> | undefined
  }
}
/**
 * Echoes the request id, and writes one access line per finished request: a canonical log line,
 * which also summarises the request's Gooten calls (op, attempt, status, ms, outcome).
 */
export default fp(async function requestLog (app) {
  app.decorateRequest('accessDetails', undefined)
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id)
    done()
  })

  // Also for a caller who hung up: the line still says what was done for it, and at Gooten.
  onRequestEnd(app, (request, reply, hungUp) => {
    const line: Record<string, unknown> = {
      method: request.method,
      route: request.routeOptions.url ?? '<unmatched>',
      status: reply.statusCode,
      ms: Math.round(reply.elapsedTime * 10) / 10,
      // Only routes behind caller-auth have a caller; pino leaves an undefined one out.
      caller: request.caller
    }
    // Set by caller-auth: who the token names, or why the caller was refused (a word, never the credential).
    const { subject, actor } = request.callerContext
    if (subject !== undefined) line.subject = subject
    if (actor !== undefined) line.actor = actor
    if (request.authFailure !== undefined) line.auth = request.authFailure
    if (request.problemCode !== undefined) line.code = request.problemCode
    if (hungUp) line.callerHungUp = true
    const calls = request.upstream?.calls
    if (calls !== undefined && calls.length > 0) line.upstream = calls
    if (request.accessDetails !== undefined) Object.assign(line, request.accessDetails)
    request.log.info(line, 'request finished')
  })
}, { name: 'request-log' })
