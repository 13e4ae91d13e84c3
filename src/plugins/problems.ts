import fp from 'fastify-plugin'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { toProblem, type MappedProblem } from '../http/error-mapping.js'
import { problemDocument } from '../http/problems.js'
import { PROBLEMS, type ProblemCode } from '../problems/catalogue.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** The problem code answered, for the access log line. */
    problemCode: ProblemCode | undefined
  }
}

export function sendProblem (request: FastifyRequest, reply: FastifyReply, problem: MappedProblem): FastifyReply {
  request.problemCode = problem.code
  const entry: { status: number, retryAfterSeconds?: number } = PROBLEMS[problem.code]
  const retryAfterSeconds = problem.retryAfterSeconds ?? entry.retryAfterSeconds
  if (retryAfterSeconds !== undefined) reply.header('retry-after', String(retryAfterSeconds))
  for (const [name, value] of Object.entries(problem.headers ?? {})) reply.header(name, value)
  return reply.code(entry.status).type('application/problem+json')
    .send(problemDocument(problem.code, problem.detail, request.id, { body: problem.body }))
}

/** Every error, ours or the framework's, leaves as RFC 9457 problem+json with a stable code. */
export default fp(async function problems (app) {
  app.decorateRequest('problemCode', undefined)

  app.setErrorHandler(async (error, request, reply) => {
    const problem = toProblem(error)
    if (problem.unexpected === true) request.log.error({ err: error }, 'unhandled error')
    return sendProblem(request, reply, problem)
  })

  app.setNotFoundHandler(async (request, reply) => sendProblem(request, reply, {
    code: 'NOT_FOUND',
    detail: PROBLEMS.NOT_FOUND.detail.route
  }))
}, { name: 'problems' })
