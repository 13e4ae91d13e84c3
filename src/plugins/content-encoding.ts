import fp from 'fastify-plugin'
import { PROBLEMS } from '../problems/catalogue.js'
import { ProblemError } from '../problems/problem-error.js'

/**
 * Refuses compressed bodies before anything is read: no decoder runs, so a gzip body would be read
 * as plain JSON (or fail as invalid JSON). A content-type parser could not do it: parsers run only
 * for requests with a body, and after the hooks.
 */
export default fp(async function contentEncoding (app) {
  app.addHook('onRequest', (request, _reply, done) => {
    const encoding = request.headers['content-encoding']
    if (encoding === undefined || encoding.trim().toLowerCase() === 'identity') {
      done()
      return
    }
    done(new ProblemError('UNSUPPORTED_MEDIA_TYPE', PROBLEMS.UNSUPPORTED_MEDIA_TYPE.detail.encoded))
  })
}, { name: 'content-encoding' })
