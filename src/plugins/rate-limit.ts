import fp from 'fastify-plugin'
import rateLimit from '@fastify/rate-limit'
import { PROBLEMS } from '../problems/catalogue.js'
import { ProblemError } from '../problems/problem-error.js'

/**
 * RATE_LIMIT_PER_MINUTE for this scope's routes: per caller (a key's name, a token's client) when authentication is on and the caller is known,
 * else per client address (behind TRUST_PROXY, the address the gateway names). With Redis the
 * counters are shared by every replica; while Redis is away, requests are not limited rather than refused.
 */
export default fp(async function rateLimits (app) {
  const { config, stores, authenticator } = app
  await app.register(rateLimit, {
    max: config.rateLimitPerMinute,
    timeWindow: 60_000,
    enableDraftSpec: true,
    ...(stores.redis === undefined ? {} : { redis: stores.redis, nameSpace: 'gop:rate:', skipOnError: true }),
    // A caller from a key and the same name from a token share a budget: the same application, moving from one to the other.
    keyGenerator: (request) => !authenticator.required || request.authenticationProblem !== undefined ? `ip:${request.ip}` : `caller:${request.caller}`,
    errorResponseBuilder: (_request, context) => new ProblemError('RATE_LIMITED', PROBLEMS.RATE_LIMITED.detail.over(context.max, context.after))
  })
}, { name: 'rate-limit', dependencies: ['stores', 'caller-auth'] })
