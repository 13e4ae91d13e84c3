import fp from 'fastify-plugin'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import { browserPageHeaders, signInPageHeaders } from './security-headers.js'
import { SIGN_IN_SCOPES, withSignIn } from './swagger-sign-in.js'
import { REQUEST_ID_PATTERN } from '../http/request-id.js'
import { OUTCOME_MEANINGS } from '../cancellation/types.js'

const TITLE = 'gooten-order-proxy'

/** The page's introduction, for a support lead as much as for a developer. */
const INTRODUCTION = [
  'Cancels items of Gooten print-on-demand orders while they are still pre-production, for internal apps such as support tools. Gooten\'s credentials stay in this service.',
  '',
  '- **Which items can be cancelled, and the rules:** open `POST /orders/{orderId}/items/cancel` below.',
  '- **An order\'s items, and whether each can be cancelled now:** `GET /orders/{orderId}/items`.',
  '- **Rehearse a cancel** with `dryRun=true`: every check runs and nothing is cancelled.',
  `- **Answers:** a 200 has an \`outcome\` (${Object.keys(OUTCOME_MEANINGS).map((outcome) => `\`${outcome}\``).join(', ')}) and a \`result\` per item, each explained in the schemas at the bottom. Any other status is a problem (\`application/problem+json\`) whose \`code\` names it.`
].join('\n')

// Our own mark instead of Swagger's: the service's initials, in the page's tab.
const FAVICON = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="6" fill="#1b5e4a"/><text x="16" y="21" font-family="sans-serif" font-size="13" font-weight="bold" fill="#fff" text-anchor="middle">GOP</text></svg>'

/**
 * Every problem answer has the Problem schema's shape, and each status's description says what its
 * codes mean and what to do: the page shows the example of the success and of the problems that list
 * items (409, 422), and leaves the others to the Problem schema, which halves the cancel operation's
 * height. The OpenAPI document keeps every example.
 */
const PAGE_CSS = '.responses-table tr.response:not([data-code="200"]):not([data-code="409"]):not([data-code="422"]) :is(.response-controls, .model-example) { display: none; }'

const seconds = (description: string, example: number) => ({ description, schema: { type: 'integer' as const, minimum: 0 }, example })

/** Response headers, documented once under components and referred to by the answers that carry them. */
const RESPONSE_HEADERS = {
  'X-Request-Id': {
    description: 'The request id (yours when safe to echo, else generated), on every answer; also `requestId` in a problem.',
    required: true,
    schema: { type: 'string' as const, pattern: REQUEST_ID_PATTERN },
    example: 'b1f0c3a2-9d7e-4c1a-8f55-2f0d6f1e9a10'
  },
  'Retry-After': seconds('Seconds to wait before trying again.', 1),
  'WWW-Authenticate': {
    description: 'The scheme to authenticate with (RFC 6750): on a 401 with `error="invalid_token"` when a key or token was sent and is not valid; on a 403 with `error="insufficient_scope"` and the scope needed.',
    required: true,
    schema: { type: 'string' as const },
    example: 'Bearer realm="gooten-order-proxy", error="insufficient_scope", scope="orders:cancel"'
  },
  // On every answer of the /orders routes; listed on the 200 and the 429, where a caller reads them.
  'RateLimit-Limit': seconds('Requests allowed per minute for this caller (IETF RateLimit header fields draft); on every /orders answer.', 600),
  'RateLimit-Remaining': seconds('Requests left in the current minute.', 599),
  'RateLimit-Reset': seconds('Seconds until the current window ends.', 42),
  'Idempotency-Replayed': {
    description: 'Present when this answer (2xx or 4xx) is the stored first answer for the request\'s Idempotency-Key.',
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
 * problems that can wait it out. X-Request-Id, RateLimit-* and Idempotency-Replayed come on more
 * answers than are listed (every answer; every /orders answer; every kept answer): they are listed
 * where a caller reads them, the 200 (and the 429 for RateLimit-*), and their descriptions say the
 * rest, so that Swagger UI does not repeat their rows under every problem.
 */
function attachResponseHeaders (document: { paths: Record<string, Record<string, Operation>> }): void {
  for (const pathItem of Object.values(document.paths)) {
    for (const operation of Object.values(pathItem)) {
      const rateLimited = operation.tags?.includes('orders') === true
      const idempotent = operation.parameters?.some((parameter) => parameter.in === 'header' && parameter.name === 'idempotency-key') === true
      for (const [status, response] of Object.entries(operation.responses)) {
        const names: HeaderName[] = status === '200' ? ['X-Request-Id'] : []
        if (status === '401' || status === '403') names.push('WWW-Authenticate')
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
        title: TITLE,
        version: '1.0.0',
        description: INTRODUCTION,
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
          bearerAuth: {
            type: 'http',
            scheme: 'bearer',
            bearerFormat: 'caller key or JWT access token',
            description: [
              'A caller key (API_KEYS), or an access token of the deployment\'s OpenID provider (a JWT: three dot-separated parts, verified against the provider\'s keys, issuer and audience).',
              'Scopes: orders:read lists items and dry-runs cancels; orders:cancel also cancels. A read-only key (`:ro`) has orders:read only; a token has the scopes in its `scope` or `scp` claim.',
              'Required on /orders routes whenever the deployment configures keys or a provider. When it configures a sign-in client, the document served at /docs/json adds an oauth2 scheme for it.'
            ].join(' ')
          }
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
  const signIn = app.config.oidc?.swaggerClientId === undefined ? undefined : { clientId: app.config.oidc.swaggerClientId, issuer: app.config.oidc.issuer }
  await app.register(async function docs (scope) {
    // With a sign-in, the page also talks to the provider's token endpoint (on the issuer's origin).
    scope.addHook('onRequest', signIn === undefined ? browserPageHeaders : signInPageHeaders(new URL(signIn.issuer).origin))
    await scope.register(swaggerUi, {
      routePrefix: '/docs',
      // BaseLayout: no top bar, so neither Swagger's logo nor its URL box; the page opens on our title and introduction.
      uiConfig: { layout: 'BaseLayout' },
      theme: {
        title: `${TITLE}: cancel Gooten order items`,
        favicon: [{ filename: 'favicon.svg', rel: 'icon', sizes: 'any', type: 'image/svg+xml', content: Buffer.from(FAVICON) }],
        css: [{ filename: 'gooten-order-proxy.css', content: PAGE_CSS }]
      },
      ...(signIn === undefined
        ? {}
        : {
            initOAuth: { clientId: signIn.clientId, usePkceWithAuthorizationCodeGrant: true, scopes: SIGN_IN_SCOPES },
            // Read at each request: the provider's endpoints are known once discovery has worked.
            transformSpecification: (document: Record<string, unknown>) => withSignIn(document, app.identityProvider?.metadata)
          })
    })
  })
}, { name: 'openapi' })
