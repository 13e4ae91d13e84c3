import t from 'tap'
import { once } from 'node:events'
import { request as httpRequest, type IncomingMessage } from 'node:http'
import { SEED } from '../../src/simulator/seed.js'
import { checkAnswer, checkedFetch } from '../helpers/contract.js'
import { answerIn, rawExchange } from '../helpers/raw-http.js'
import { call, cancelPath, startStack } from '../helpers/stack.js'

const { demo } = SEED
const json = { 'content-type': 'application/json' }
const valid = JSON.stringify({ itemIds: [demo.items.new] })

interface BadInput {
  name: string
  path?: string
  body?: string
  headers?: Record<string, string>
  method?: string
  status: number
  code: string
  errorPath?: string
}

const cases: BadInput[] = [
  { name: 'no body', headers: {}, status: 400, code: 'VALIDATION_FAILED', errorPath: '/body' },
  { name: 'empty JSON body', body: '', headers: json, status: 400, code: 'VALIDATION_FAILED' },
  { name: 'missing itemIds', body: '{}', headers: json, status: 400, code: 'VALIDATION_FAILED', errorPath: '/body/itemIds' },
  { name: 'empty itemIds', body: '{"itemIds":[]}', headers: json, status: 400, code: 'VALIDATION_FAILED', errorPath: '/body/itemIds' },
  { name: '101 itemIds', body: JSON.stringify({ itemIds: Array.from({ length: 101 }, (_, i) => i + 1) }), headers: json, status: 400, code: 'VALIDATION_FAILED', errorPath: '/body/itemIds' },
  { name: 'duplicate itemIds', body: '{"itemIds":[5,5]}', headers: json, status: 400, code: 'VALIDATION_FAILED', errorPath: '/body/itemIds' },
  { name: 'negative itemId', body: '{"itemIds":[-1]}', headers: json, status: 400, code: 'VALIDATION_FAILED', errorPath: '/body/itemIds/0' },
  { name: 'zero itemId', body: '{"itemIds":[0]}', headers: json, status: 400, code: 'VALIDATION_FAILED', errorPath: '/body/itemIds/0' },
  { name: 'non-integer itemId', body: '{"itemIds":[1.5]}', headers: json, status: 400, code: 'VALIDATION_FAILED', errorPath: '/body/itemIds/0' },
  { name: 'string itemId (no coercion)', body: '{"itemIds":["6924457"]}', headers: json, status: 400, code: 'VALIDATION_FAILED', errorPath: '/body/itemIds/0' },
  { name: 'itemIds not an array', body: '{"itemIds":6924457}', headers: json, status: 400, code: 'VALIDATION_FAILED', errorPath: '/body/itemIds' },
  { name: 'unsafe integer itemId', body: '{"itemIds":[9007199254740993]}', headers: json, status: 400, code: 'VALIDATION_FAILED', errorPath: '/body/itemIds/0' },
  { name: 'reason too long', body: JSON.stringify({ itemIds: [1], reason: 'x'.repeat(501) }), headers: json, status: 400, code: 'VALIDATION_FAILED', errorPath: '/body/reason' },
  { name: 'reason not a string', body: '{"itemIds":[1],"reason":5}', headers: json, status: 400, code: 'VALIDATION_FAILED', errorPath: '/body/reason' },
  { name: 'extra property', body: '{"itemIds":[1],"force":true}', headers: json, status: 400, code: 'VALIDATION_FAILED', errorPath: '/body/force' },
  { name: 'array body', body: '[1,2]', headers: json, status: 400, code: 'VALIDATION_FAILED' },
  { name: 'null body', body: 'null', headers: json, status: 400, code: 'VALIDATION_FAILED' },
  { name: 'invalid JSON', body: '{"itemIds":[1,', headers: json, status: 400, code: 'VALIDATION_FAILED', errorPath: '/body' },
  { name: '__proto__ payload', body: '{"itemIds":[1],"__proto__":{"admin":true}}', headers: json, status: 400, code: 'VALIDATION_FAILED' },
  { name: 'constructor.prototype payload', body: '{"itemIds":[1],"constructor":{"prototype":{"admin":true}}}', headers: json, status: 400, code: 'VALIDATION_FAILED' },
  { name: 'gzip Content-Encoding', body: valid, headers: { ...json, 'content-encoding': 'gzip' }, status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
  { name: 'unknown query parameter on the read', method: 'GET', path: `/orders/${demo.safeId}/items?foo=bar`, status: 400, code: 'VALIDATION_FAILED', errorPath: '/querystring/foo' },
  { name: 'text/plain body', body: valid, headers: { 'content-type': 'text/plain' }, status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
  { name: 'form body', body: 'itemIds=1', headers: { 'content-type': 'application/x-www-form-urlencoded' }, status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
  { name: 'no content type', body: valid, headers: { 'content-type': '' }, status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
  { name: '17 KiB body', body: JSON.stringify({ itemIds: [1], reason: 'x'.repeat(17 * 1024) }), headers: json, status: 413, code: 'PAYLOAD_TOO_LARGE' },
  { name: 'orderId with a dot', path: cancelPath('13.abc'), body: valid, headers: json, status: 400, code: 'VALIDATION_FAILED', errorPath: '/params/orderId' },
  { name: 'orderId with an encoded slash', path: cancelPath('13%2Fabc'), body: valid, headers: json, status: 400, code: 'VALIDATION_FAILED', errorPath: '/params/orderId' },
  { name: 'orderId with an encoded query', path: cancelPath('13%3Frecipeid%3Dx'), body: valid, headers: json, status: 400, code: 'VALIDATION_FAILED', errorPath: '/params/orderId' },
  { name: 'orderId of 65 characters', path: cancelPath('a'.repeat(65)), body: valid, headers: json, status: 400, code: 'VALIDATION_FAILED', errorPath: '/params/orderId' },
  { name: 'orderId of 300 characters', path: cancelPath('a'.repeat(300)), body: valid, headers: json, status: 400, code: 'VALIDATION_FAILED', errorPath: '/params/orderId' },
  { name: 'orderId with unicode', path: cancelPath('%C3%A9t%C3%A9'), body: valid, headers: json, status: 400, code: 'VALIDATION_FAILED', errorPath: '/params/orderId' },
  { name: 'dryRun=yes', path: cancelPath(demo.safeId, '?dryRun=yes'), body: valid, headers: json, status: 400, code: 'VALIDATION_FAILED', errorPath: '/querystring/dryRun' },
  { name: 'unknown query parameter', path: cancelPath(demo.safeId, '?recipeid=x'), body: valid, headers: json, status: 400, code: 'VALIDATION_FAILED', errorPath: '/querystring/recipeid' },
  { name: 'Idempotency-Key with a space', body: valid, headers: { ...json, 'idempotency-key': 'has space' }, status: 400, code: 'VALIDATION_FAILED', errorPath: '/headers/idempotency-key' },
  { name: 'Idempotency-Key of 256 characters', body: valid, headers: { ...json, 'idempotency-key': 'k'.repeat(256) }, status: 400, code: 'VALIDATION_FAILED', errorPath: '/headers/idempotency-key' },
  { name: 'X-Request-Id with hostile characters', body: valid, headers: { ...json, 'x-request-id': '<script>alert(1)</script>' }, status: 400, code: 'VALIDATION_FAILED', errorPath: '/headers/x-request-id' },
  { name: 'GET on the cancel route', method: 'GET', status: 404, code: 'NOT_FOUND' }
]

t.test('every bad input gets a 4xx problem and reaches nothing upstream', async (t) => {
  const { url, sim } = await startStack(t)
  for (const testCase of cases) {
    const response = await checkedFetch(`${url}${testCase.path ?? cancelPath(demo.safeId)}`, {
      method: testCase.method ?? 'POST',
      headers: testCase.headers ?? {},
      ...(testCase.body === undefined || testCase.method === 'GET' ? {} : { body: testCase.body })
    })
    const text = await response.text()
    t.equal(response.status, testCase.status, `${testCase.name}: status`)
    t.equal(response.headers.get('content-type'), 'application/problem+json; charset=utf-8', `${testCase.name}: problem+json`)
    const problem = JSON.parse(text) as { code: string, status: number, requestId: string, errors?: Array<{ path: string }> }
    t.equal(problem.code, testCase.code, `${testCase.name}: code`)
    t.equal(problem.status, testCase.status, `${testCase.name}: status in body`)
    t.equal(problem.requestId, response.headers.get('x-request-id'), `${testCase.name}: request id`)
    if (testCase.errorPath !== undefined) t.equal(problem.errors?.[0]?.path, testCase.errorPath, `${testCase.name}: error path`)
    if (testCase.code === 'VALIDATION_FAILED') t.ok((problem.errors?.length ?? 0) > 0, `${testCase.name}: errors say what is wrong`)
    t.notMatch(text, /"stack"|at [A-Za-z]+ \(/, `${testCase.name}: no stack trace`)
  }
  t.equal(sim.calls.length, 0, 'the simulator saw no call')
})

/** A request through node:http, which (unlike fetch) lets any Expect header through. */
async function rawRequest (url: string, path: string, method: string, headers: Record<string, string>, body?: string): Promise<{ status: number, headers: IncomingMessage['headers'], text: string }> {
  const request = httpRequest(`${url}${path}`, { method, headers })
  request.end(body)
  const [response] = await once(request, 'response') as [IncomingMessage]
  let text = ''
  for await (const chunk of response) text += String(chunk)
  return { status: response.statusCode ?? 0, headers: response.headers, text }
}

t.test('an Expect other than 100-continue is a 417 problem, logged like any request; 100-continue still works', async (t) => {
  const { url, sim, logs } = await startStack(t)
  for (const [method, path] of [['POST', cancelPath(demo.safeId)], ['GET', `/orders/${demo.safeId}/items`], ['GET', '/health/live']]) {
    const answer = await rawRequest(url, path as string, method as string, { ...json, expect: 'pay-first' }, method === 'POST' ? valid : undefined)
    checkAnswer({ method: method as string, path: path as string, status: answer.status, headers: answer.headers, text: answer.text })
    t.equal(answer.status, 417, `${method} ${path as string}`)
    t.match(JSON.parse(answer.text), { code: 'EXPECTATION_FAILED', status: 417, requestId: answer.headers['x-request-id'] })
  }
  t.match(logs.find('request finished').at(-1), { status: 417, code: 'EXPECTATION_FAILED' })
  t.equal(sim.calls.length, 0)
  const continued = await rawRequest(url, cancelPath(demo.safeId), 'POST', { ...json, expect: '100-continue' }, valid)
  t.equal(continued.status, 200)
  t.equal(sim.callCount('cancelItems'), 1)
})

t.test('a request id that is not safe to echo is replaced by a generated one', async (t) => {
  const { url } = await startStack(t)
  const answer = await call(url, '/health/live', { headers: { 'x-request-id': 'bad id with spaces' } })
  t.match(answer.headers.get('x-request-id'), /^[0-9a-f-]{36}$/)
  const kept = await call(url, '/health/live', { headers: { 'x-request-id': 'trace-42' } })
  t.equal(kept.headers.get('x-request-id'), 'trace-42')
})

t.test('unknown routes answer a 404 problem', async (t) => {
  const { url } = await startStack(t)
  const answer = await call(url, '/nope')
  t.equal(answer.status, 404)
  t.equal(answer.body.code, 'NOT_FOUND')
})

t.test('requests the HTTP parser refuses, and bodies that never arrive, get problem+json too', async (t) => {
  const { url, sim } = await startStack(t, { app: { requestTimeoutMs: 500 } })
  const target = cancelPath(demo.safeId)
  const cases = [
    { name: 'Content-Length with Transfer-Encoding', status: 400, request: `POST ${target} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n` },
    { name: 'two Content-Length values', status: 400, request: `POST ${target} HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n{}` },
    { name: 'a 20 KiB header', status: 431, request: `GET /health/live HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${'k'.repeat(20 * 1024)}\r\n\r\n` },
    { name: 'a body that never arrives', status: 408, request: `POST ${target} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"itemIds":[` }
  ]
  for (const testCase of cases) {
    const answer = answerIn(await rawExchange(url, testCase.request))
    t.equal(answer.status, testCase.status, `${testCase.name}: status`)
    t.equal(answer.headers['content-type'], 'application/problem+json; charset=utf-8', `${testCase.name}: problem+json`)
    t.equal(answer.body.code, 'VALIDATION_FAILED', `${testCase.name}: code`)
    t.equal(answer.body.status, testCase.status, `${testCase.name}: status in body`)
    t.ok(((answer.body.errors as unknown[] | undefined)?.length ?? 0) > 0, `${testCase.name}: errors`)
  }
  t.equal(sim.calls.length, 0, 'the simulator saw no call')
})
