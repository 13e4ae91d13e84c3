import fp from 'fastify-plugin'
import underPressure from '@fastify/under-pressure'
import { sendProblem } from './problems.js'

export interface OverloadOptions {
  /** Event-loop delay, in ms, beyond which requests are shed; 0 turns shedding off. */
  maxEventLoopDelayMs: number
}

/**
 * Sheds load with a fast 503 while the event loop is saturated, instead of letting every
 * request queue and time out. Liveness keeps answering: a busy process is not a dead one.
 */
export default fp<OverloadOptions>(async function overload (app, { maxEventLoopDelayMs }) {
  if (maxEventLoopDelayMs === 0) return
  await app.register(underPressure, {
    maxEventLoopDelay: maxEventLoopDelayMs,
    sampleInterval: 100,
    pressureHandler: (request, reply) => {
      // Returning without sending lets the request through.
      if (request.routeOptions.url === '/health/live') return
      sendProblem(request, reply, { code: 'SERVICE_OVERLOADED', detail: 'The service is saturated; retry shortly.', retryAfterSeconds: 1 })
    }
  })
}, { name: 'overload' })
