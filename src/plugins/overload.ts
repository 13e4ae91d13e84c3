import fp from 'fastify-plugin'
import { OverloadDetector } from './overload-detector.js'
import { sendProblem } from './problems.js'
import { PROBLEMS } from '../problems/catalogue.js'

/**
 * Sheds load with a fast 503 while our own work blocks the event loop, instead of letting every
 * request queue and time out. Liveness keeps answering: a busy process is not a dead one.
 */
export default fp(async function overload (app) {
  const maxEventLoopDelayMs = app.config.overloadMaxEventLoopDelayMs
  if (maxEventLoopDelayMs === 0) return
  const detector = new OverloadDetector({ thresholdMs: maxEventLoopDelayMs })
  // Measured from listen on: loading modules and building the app before then is not overload.
  app.addHook('onListen', async () => { detector.start() })
  app.addHook('onClose', async () => { detector.stop() })
  app.addHook('onRequest', (request, reply, done) => {
    if (request.routeOptions.url === '/health/live' || !detector.overloaded) {
      done()
      return
    }
    // Answered here without `done()`: the request ends at its 503 and its route never runs.
    sendProblem(request, reply, { code: 'SERVICE_OVERLOADED', detail: PROBLEMS.SERVICE_OVERLOADED.detail.saturated })
  })
}, { name: 'overload' })
