import fp from 'fastify-plugin'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import { browserPageHeaders } from './security-headers.js'
import { REQUEST_ID_PATTERN } from '../http/request-id.js'

const seconds = (description: string, example: number) => ({ description, schema: { type: 'integer' as const, minimum: 0 }, example })

/** Response headers, documented once under components and referred to by the answers that carry them. */
const RESPONSE_HEADERS = {
  'X-Request-Id': {
    description: 'The request id: the caller\'s X-Request-Id when it is safe to echo, else a generated UUID. On every answer, and in every problem as requestId.',
    required: true,
    schema: { type: 'string' as const, pattern: REQUEST_ID_PATTERN },
    example: 'b1f0c3a2-9d7e-4c1a-8f55-2f0d6f1e9a10'
  },
  'Retry-After': seconds('Seconds to wait before trying again.', 1),
  'WWW-Authenticate': {
    description: 'The scheme to authenticate with.',
    required: true,
    schema: { type: 'string' as const },
    example: 'Bearer realm="gooten-order-proxy"'
  },
  'RateLimit-Limit': seconds('Requests allowed per minute for this caller (IETF RateLimit header fields draft). With RateLimit-Remaining and RateLimit-Reset, on every answer of the /orders routes.', 600),
  'RateLimit-Remaining': seconds('Requests left in the current minute.', 599),
  'RateLimit-Reset': seconds('Seconds until the current window ends.', 42),
  'Idempotency-Replayed': {
    description: 'Present when this answer is the stored first answer for the request\'s Idempotency-Key: a 2xx, or a 4xx problem (5xx answers are never stored).',
    schema: { type: 'string' as const, enum: ['true'] },
    example: 'true'
  }
}
type HeaderName = keyof typeof RESPONSE_HEADERS

interface Operation {
  tags?: string[]
  parameters?: Array<{ in: string, name: string }>
  responses: Record<string, { headers?: Record<string, unknown> }>
}

/**
 * Says which answers carry which header: WWW-Authenticate a 401, Retry-After the 409, 429 and 503
 * problems that can wait it out. X-Request-Id, RateLimit-* and Idempotency-Replayed come with most
 * answers, but are documented only where a caller acts on them (X-Request-Id on 2xx answers, as a
 * problem carries it as requestId too; RateLimit-* on the 200 and the 429; Idempotency-Replayed on the
 * 200), so each error answer stays a few lines long in Swagger UI.
 */
function attachResponseHeaders (document: { paths: Record<string, Record<string, Operation>> }): void {
  for (const pathItem of Object.values(document.paths)) {
    for (const operation of Object.values(pathItem)) {
      const rateLimited = operation.tags?.includes('orders') === true
      const idempotent = operation.parameters?.some((parameter) => parameter.in === 'header' && parameter.name === 'idempotency-key') === true
      for (const [status, response] of Object.entries(operation.responses)) {
        const names: HeaderName[] = Number(status) < 400 ? ['X-Request-Id'] : []
        if (status === '401') names.push('WWW-Authenticate')
        if (['409', '429', '503'].includes(status)) names.push('Retry-After')
        if (rateLimited && (status === '200' || status === '429')) names.push('RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset')
        if (idempotent && status === '200') names.push('Idempotency-Replayed')
        if (names.length > 0) response.headers = Object.fromEntries(names.map((name) => [name, { $ref: `#/components/headers/${name}` }]))
      }
    }
  }
}

/** The OpenAPI 3.1 document built from the route schemas, and Swagger UI at /docs. */
export default fp(async function openapi (app) {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'gooten-order-proxy',
        version: '1.0.0',
        description: 'Cancels items of Gooten print-on-demand orders while they are pre-production. Gooten\'s credentials stay in this service.',
        // package.json says UNLICENSED: proprietary, for internal use; LicenseRef- is SPDX's form for such a licence.
        license: { name: 'Proprietary: internal use only', identifier: 'LicenseRef-Proprietary' }
      },
      // The origin this document is served from: the same document serves every deployment.
      servers: [{ url: '/', description: 'This service' }],
      tags: [
        { name: 'orders', description: 'Look up and cancel order items' },
        { name: 'operations', description: 'Health and metrics for operators' }
      ],
      components: {
        securitySchemes: {
          callerKey: { type: 'http', scheme: 'bearer', description: 'A caller key from API_KEYS. Required on /orders routes when the deployment configures caller keys.' }
        },
        headers: RESPONSE_HEADERS
      }
    },
    transformObject: (documentObject) => {
      const document = (documentObject as { openapiObject: Parameters<typeof attachResponseHeaders>[0] }).openapiObject
      attachResponseHeaders(document)
      return document
    },
    // Name components after the shared schemas' $id instead of def-0, def-1… (every shared schema has one).
    refResolver: { buildLocalReference: (json) => json.$id as string }
  })
  // Swagger UI is a page for browsers: it alone gets Helmet's whole set of headers.
  await app.register(async function docs (scope) {
    scope.addHook('onRequest', browserPageHeaders)
    await scope.register(swaggerUi, { routePrefix: '/docs' })
  })
}, { name: 'openapi' })
