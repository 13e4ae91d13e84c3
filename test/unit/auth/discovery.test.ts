import t from 'tap'
import { discover, discoveryUrl } from '../../../src/auth/discovery.js'

const ISSUER = 'https://idp.example/realms/company'
const GOOD = { issuer: ISSUER, jwks_uri: `${ISSUER}/jwks`, authorization_endpoint: `${ISSUER}/auth`, token_endpoint: `${ISSUER}/token` }

/** A fetch that answers `status` with `body` (a string as is, anything else as JSON), recording the URL asked for. */
function answering (status: number, body: unknown, asked: string[] = []): typeof fetch {
  return async (input) => {
    asked.push(String(input))
    return new Response(typeof body === 'string' ? body : JSON.stringify(body), { status })
  }
}

t.test('the document is under the issuer, with or without its trailing slash', async (t) => {
  t.equal(discoveryUrl(ISSUER), `${ISSUER}/.well-known/openid-configuration`)
  t.equal(discoveryUrl(`${ISSUER}/`), `${ISSUER}/.well-known/openid-configuration`)
  const asked: string[] = []
  const metadata = await discover(ISSUER, 1000, answering(200, GOOD, asked))
  t.same(asked, [`${ISSUER}/.well-known/openid-configuration`])
  t.equal(metadata.jwksUri.href, `${ISSUER}/jwks`)
  t.equal(metadata.authorizationEndpoint, `${ISSUER}/auth`)
  t.equal(metadata.tokenEndpoint, `${ISSUER}/token`)
  const bare = await discover(ISSUER, 1000, answering(200, { issuer: ISSUER, jwks_uri: `${ISSUER}/jwks` }))
  t.equal(bare.authorizationEndpoint, undefined, 'the sign-in endpoints are optional')
})

t.test('a document that cannot be trusted is refused, naming the field, never a value', async (t) => {
  const cases: Array<[string, typeof fetch, RegExp]> = [
    ['a 404', answering(404, 'nope'), /answered 404/],
    ['not JSON', answering(200, '<html>'), /could not be fetched or read/],
    ['JSON null', answering(200, 'null'), /not a JSON object/],
    ['another issuer', answering(200, { ...GOOD, issuer: 'https://evil.example' }), /another issuer/],
    ['the issuer with a trailing slash added', answering(200, { ...GOOD, issuer: `${ISSUER}/` }), /another issuer/],
    ['jwks_uri over plain http to another host', answering(200, { ...GOOD, jwks_uri: 'http://idp.example/jwks' }), /jwks_uri/],
    ['jwks_uri missing', answering(200, { issuer: ISSUER }), /jwks_uri/],
    ['jwks_uri not a URL', answering(200, { ...GOOD, jwks_uri: 'not a url' }), /jwks_uri/],
    ['a bad token endpoint', answering(200, { ...GOOD, token_endpoint: 42 }), /token_endpoint/],
    ['a network failure', async () => { throw new TypeError('fetch failed') }, /could not be fetched/]
  ]
  for (const [name, fetchImpl, message] of cases) {
    await t.rejects(discover(ISSUER, 1000, fetchImpl), { name: 'DiscoveryError', message }, name)
  }
})

t.test('loopback http is accepted, as for the issuer', async (t) => {
  const local = 'http://127.0.0.1:4444'
  const metadata = await discover(local, 1000, answering(200, { issuer: local, jwks_uri: `${local}/jwks` }))
  t.equal(metadata.jwksUri.href, `${local}/jwks`)
})
