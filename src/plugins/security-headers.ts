import type { IncomingMessage, ServerResponse } from 'node:http'
import fp from 'fastify-plugin'
import * as helmetModule from 'helmet'

// helmet ships ESM and CommonJS typings; the TypeScript loader of the tests' server processes reads
// the CommonJS ones, where the default import is not callable. At run time it is the factory either way.
type SecurityHeaders = (request: IncomingMessage, response: ServerResponse, next: () => void) => void
const helmet = helmetModule.default as unknown as (options: object) => SecurityHeaders

/**
 * Helmet's security headers on every answer. Its default CSP is what Swagger UI at /docs needs: its
 * scripts come from /docs/static ('self') and the default style-src allows its inline styles (the
 * browser test fails on any CSP refusal). Without upgrade-insecure-requests: TLS ends at the gateway,
 * and a browser opening /docs over plain HTTP inside the network would otherwise ask for those assets
 * over HTTPS and get nothing. The middleware is built once: @fastify/helmet builds one per request.
 */
export default fp(async function securityHeaders (app) {
  const headers = helmet({ contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } } })
  app.addHook('onRequest', (request, reply, done) => { headers(request.raw, reply.raw, () => { done() }) })
}, { name: 'security-headers' })
