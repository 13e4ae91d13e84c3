import fp from 'fastify-plugin'
import underPressure from '@fastify/under-pressure'
import { ProblemError } from '../http/problems.js'

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
    // A rejection goes to the error handler and ends the request there. Sending the answer here
    // would not: under-pressure then lets the request go on, and the route would run behind the 503.
    pressureHandler: async (request) => {
      if (request.routeOptions.url === '/health/live') return
      throw new ProblemError('SERVICE_OVERLOADED', 'The service is saturated; retry shortly.', { retryAfterSeconds: 1 })
    }
  })
}, { name: 'overload' })
