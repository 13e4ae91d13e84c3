import t from 'tap'
import { SIGN_IN_SCHEME, withSignIn } from '../../../src/plugins/swagger-sign-in.js'

const endpoints = { authorizationEndpoint: 'https://login.example.com/auth', tokenEndpoint: 'https://login.example.com/token' }

t.test('without both endpoints the served document is left as it is', async (t) => {
  const document = { paths: { '/orders': { get: { security: [{ bearerAuth: ['orders:read'] }] } } } }
  for (const metadata of [undefined, { tokenEndpoint: endpoints.tokenEndpoint }, { authorizationEndpoint: endpoints.authorizationEndpoint }]) {
    const before = JSON.stringify(document)
    // @ts-expect-error partial metadata, as discovery may return before every endpoint is known
    t.equal(JSON.stringify(withSignIn(document, metadata)), before)
  }
})

t.test('the sign-in scheme is added, and offered beside bearer auth wherever that is required', async (t) => {
  // @ts-expect-error only the endpoints matter here
  const bare = withSignIn({}, endpoints)
  t.match(bare.components?.securitySchemes?.[SIGN_IN_SCHEME], { type: 'oauth2', flows: { authorizationCode: { authorizationUrl: endpoints.authorizationEndpoint, tokenUrl: endpoints.tokenEndpoint } } })
  const document = {
    components: { securitySchemes: { bearerAuth: { type: 'http' } } },
    paths: {
      '/orders/{id}/items': { get: { security: [{ bearerAuth: ['orders:read'] }] } },
      '/orders/{id}/items/cancel': { post: { security: [{ bearerAuth: [] as string[] }] } },
      '/health/live': { get: { security: [] as Array<Record<string, string[]>> } },
      '/metrics': { get: {} }
    }
  }
  // @ts-expect-error only the endpoints matter here
  const served = withSignIn(document, endpoints)
  t.ok(served.components?.securitySchemes?.bearerAuth, 'bearer auth stays')
  t.same(served.paths?.['/orders/{id}/items']?.get?.security, [{ bearerAuth: ['orders:read'] }, { [SIGN_IN_SCHEME]: ['openid', 'orders:read'] }])
  t.same(served.paths?.['/orders/{id}/items/cancel']?.post?.security, [{ bearerAuth: [] }, { [SIGN_IN_SCHEME]: ['openid'] }])
  t.same(served.paths?.['/health/live']?.get?.security, [], 'open routes stay open')
  t.same(served.paths?.['/metrics']?.get, {})
})
