import fp from 'fastify-plugin'
import { PROBLEMS } from '../problems/catalogue.js'
import { ProblemError } from '../problems/problem-error.js'

/**
 * `Expect: 100-continue` is the only expectation HTTP defines, and Node answers it itself. Any other
 * Node would refuse with a bare 417 that no hook, log line or X-Request-Id sees; routed through
 * Fastify instead, it gets the same problem answer as every other bad request.
 */
export default fp(async function expectations (app) {
  app.server.on('checkExpectation', app.routing)
  app.addHook('onRequest', (request, _reply, done) => {
    const expectation = request.headers.expect
    if (expectation !== undefined && expectation.trim().toLowerCase() !== '100-continue') {
      done(new ProblemError('EXPECTATION_FAILED', PROBLEMS.EXPECTATION_FAILED.detail.unsupported))
      return
    }
    done()
  })
}, { name: 'expectations' })
