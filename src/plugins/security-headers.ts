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

/**
 * The same for Swagger UI with a sign-in: the page may also fetch from the provider's `origin` (the code
 * exchanged for a token), and keeps the popup it opens for the provider's login. Helmet's
 * Cross-Origin-Opener-Policy `same-origin` would cut that popup off once it visits the provider, so
 * the page allows popups, and the redirect page the popup returns to, which hands the code back to its
 * opener, sets no policy (a policy there would cut it off too).
 */
export function signInPageHeaders (origin: string): (request: FastifyRequest, reply: FastifyReply, done: () => void) => void {
  const contentSecurityPolicy = { directives: { upgradeInsecureRequests: null, connectSrc: ["'self'", origin] } }
  const page = helmet({ contentSecurityPolicy, crossOriginOpenerPolicy: { policy: 'same-origin-allow-popups' } })
  const redirectPage = helmet({ contentSecurityPolicy, crossOriginOpenerPolicy: false })
  return (request, reply, done) => {
    const headers = request.url.split('?')[0]?.endsWith('/oauth2-redirect.html') === true ? redirectPage : page
    headers(request.raw, reply.raw, done)
  }
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
