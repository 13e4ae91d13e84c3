import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { PROBLEMS, secondsToWait } from '../problems/catalogue.js'
import { ProblemError } from '../problems/problem-error.js'
import { problemResponse } from '../http/problem-responses.js'

const HealthStatus = Type.Object({ status: Type.String() }, { additionalProperties: false })

const healthRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/health/live', {
    schema: {
      tags: ['operations'],
      operationId: 'getLiveness',
      summary: 'Liveness: 200 while the process runs',
      description: 'Answers 200 as long as the process runs, even while it sheds load or drains; needs no caller key.',
      security: [],
      response: {
        200: { ...HealthStatus, description: 'The process is alive', examples: [{ status: 'ok' }] },
        417: problemResponse(['EXPECTATION_FAILED'])
      }
    }
  }, async () => ({ status: 'ok' }))

  app.get('/health/ready', {
    schema: {
      tags: ['operations'],
      operationId: 'getReadiness',
      summary: 'Readiness: 200 when the service can serve',
      description: '503 while starting, while waiting for the identity provider\'s keys at start (at most OIDC_STARTUP_GRACE_MS), while draining for shutdown, while the Gooten circuit breaker pauses calls (CIRCUIT_OPEN_MS after it opens), or while the service sheds load; needs no caller key.',
      security: [],
      response: {
        200: { ...HealthStatus, description: 'Ready to serve', examples: [{ status: 'ready' }] },
        417: problemResponse(['EXPECTATION_FAILED']),
        503: problemResponse(['NOT_READY', 'SERVICE_OVERLOADED'])
      }
    }
  }, async () => {
    if (app.readiness.state !== 'ready') {
      throw new ProblemError('NOT_READY', PROBLEMS.NOT_READY.detail.state(app.readiness.state))
    }
    // Bounded by OIDC_STARTUP_GRACE_MS: a provider that stays away must not keep caller keys out for good.
    if (app.identityProvider?.holdsReadiness === true) {
      throw new ProblemError('NOT_READY', PROBLEMS.NOT_READY.detail.waitingForKeys)
    }
    // Only while the pause lasts: the trial call that may close the circuit comes from a request, and
    // a gateway sends an unready replica none, so an open circuit must not keep it unready for good.
    if (app.circuit.state === 'open' && app.circuit.retryAfterMs > 0) {
      throw new ProblemError('NOT_READY', PROBLEMS.NOT_READY.detail.circuitOpen, { retryAfterSeconds: secondsToWait(app.circuit.retryAfterMs) })
    }
    return { status: 'ready' }
  })
}

export default healthRoutes
