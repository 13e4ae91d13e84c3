import fp from 'fastify-plugin'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'

/** The OpenAPI 3.1 document built from the route schemas, and Swagger UI at /docs. */
export default fp(async function openapi (app) {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'gooten-order-proxy',
        version: '1.0.0',
        description: 'Cancels items of Gooten print-on-demand orders while they are pre-production. Gooten\'s credentials stay in this service.'
      },
      tags: [
        { name: 'orders', description: 'Look up and cancel order items' },
        { name: 'operations', description: 'Health and metrics for operators' }
      ],
      components: {
        securitySchemes: {
          callerKey: { type: 'http', scheme: 'bearer', description: 'A caller key from API_KEYS. Required on /orders routes when the deployment configures caller keys.' }
        }
      }
    },
    // Name components after the shared schemas' $id instead of def-0, def-1… (every shared schema has one).
    refResolver: { buildLocalReference: (json) => json.$id as string }
  })
  await app.register(swaggerUi, { routePrefix: '/docs' })
}, { name: 'openapi' })
