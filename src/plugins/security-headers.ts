import type { IncomingMessage, ServerResponse } from 'node:http'
import fp from 'fastify-plugin'
import type { FastifyReply, FastifyRequest } from 'fastify'
import * as helmetModule from 'helmet'

// helmet ships ESM and CommonJS typings; the TypeScript loader of the tests' server processes reads
// the CommonJS ones, where the default import is not callable. At run time it is the factory either way.
type SecurityHeaders = (request: IncomingMessage, response: ServerResponse, next: () => void) => void
const helmet = helmetModule.default as unknown as (options: object) => SecurityHeaders

// Helmet's default CSP is what Swagger UI needs: its scripts come from /docs/static ('self') and the
// default style-src allows its inline styles (the browser test fails on any CSP refusal). Without
// upgrade-insecure-requests: a browser opening /docs over plain HTTP inside the network would
// otherwise ask for those assets over HTTPS and get nothing. Built once: @fastify/helmet builds one
// per request.
const pageHeaders = helmet({ contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } } })

/** An onRequest hook with Helmet's whole set, for the routes that serve pages to browsers. */
export function browserPageHeaders (request: FastifyRequest, reply: FastifyReply, done: () => void): void {
  pageHeaders(request.raw, reply.raw, done)
}

/** The same, for a page that may also fetch from `origin` (Swagger UI exchanging a sign-in's code for a token). */
export function signInPageHeaders (origin: string): (request: FastifyRequest, reply: FastifyReply, done: () => void) => void {
  const headers = helmet({ contentSecurityPolicy: { directives: { upgradeInsecureRequests: null, connectSrc: ["'self'", origin] } } })
  return (request, reply, done) => { headers(request.raw, reply.raw, done) }
}

/**
 * Security headers, sized to what reads each answer. Every answer says `nosniff`: a browser that
 * opens a JSON or problem answer never treats it as a page. The rest of Helmet's set (a CSP, frame,
 * opener and resource policies, referrer policy) only means something to a browser rendering a
 * page: Swagger UI at /docs gets it, the JSON answers that internal apps' HTTP clients read do not.
 * (HSTS belongs to the gateway, where TLS ends.)
 */
export default fp(async function securityHeaders (app) {
  app.addHook('onRequest', (_request, reply, done) => {
    reply.header('x-content-type-options', 'nosniff')
    done()
  })
}, { name: 'security-headers' })
