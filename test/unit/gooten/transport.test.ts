import t from 'tap'
import type { Dispatcher } from 'undici'
import { Pool } from 'undici'
import { Deadline } from '../../../src/gooten/deadline.js'
import { GootenError } from '../../../src/gooten/errors.js'
import { MAX_RESPONSE_BYTES, send, type UpstreamRequest } from '../../../src/gooten/transport.js'
import { closedOrigin, sendJson, startServer } from '../helpers/http-server.js'
import { largeOrder } from '../../../src/simulator/seed.js'

const later = (): Deadline => Deadline.in(30_000)

function get (origin: string, pathAndQuery = '/api/v/5/source/api/orders?id=1', deadline = later()): UpstreamRequest {
  return { op: 'getOrder', origin, method: 'GET', pathAndQuery, deadline }
}

t.test('GET: sends Accept only, returns status and parsed JSON', async (t) => {
  const server = await startServer(t, (_req, res) => sendJson(res, 200, { Items: [] }))
  const answer = await send(server.pool, get(server.origin, '/api/v/5/source/api/orders?id=13-a&recipeid=r'))
  t.same(answer, { status: 200, retryAfterMs: undefined, body: { kind: 'json', value: { Items: [] } } })
  t.equal(server.received.length, 1)
  const [request] = server.received
  t.equal(request?.method, 'GET')
  t.equal(request?.url, '/api/v/5/source/api/orders?id=13-a&recipeid=r')
  t.equal(request?.headers.accept, 'application/json')
  t.equal(request?.headers['content-type'], undefined)
  t.equal(request?.body, '')
})

t.test('PUT with a body: sends it as JSON', async (t) => {
  const server = await startServer(t, (_req, res) => sendJson(res, 200, { HadError: false, Success: [1] }))
  const answer = await send(server.pool, {
    op: 'cancelItems', origin: server.origin, method: 'PUT', pathAndQuery: '/api/orderCancel?orderId=5', body: '{"Ids":[1]}', deadline: later()
  })
  t.same(answer.body, { kind: 'json', value: { HadError: false, Success: [1] } })
  t.equal(server.received[0]?.method, 'PUT')
  t.equal(server.received[0]?.headers['content-type'], 'application/json')
  t.equal(server.received[0]?.headers.accept, 'application/json')
  t.equal(server.received[0]?.body, '{"Ids":[1]}')
})

t.test('non-2xx answers are returned, with Retry-After in milliseconds', async (t) => {
  const server = await startServer(t, (_req, res) => sendJson(res, 503, { Message: 'busy' }, { 'retry-after': '2' }))
  const answer = await send(server.pool, get(server.origin))
  t.same(answer, { status: 503, retryAfterMs: 2000, body: { kind: 'json', value: { Message: 'busy' } } })
})

t.test('body kinds', async (t) => {
  const bodies: Array<{ contentType?: string, text: string }> = [
    { contentType: 'application/json', text: '' },
    { contentType: 'application/json', text: ' \n\t ' },
    { contentType: 'text/html; charset=utf-8', text: '{"looks":"like json"}' },
    { contentType: 'application/json', text: '  <!DOCTYPE html><html></html>' },
    { contentType: 'application/json', text: '{"Items": [' },
    { text: '{"Items":[]}' },
    { contentType: 'application/json', text: 'null' }
  ]
  const server = await startServer(t, (_req, res, index) => {
    const { contentType, text } = bodies[index] as { contentType?: string, text: string }
    res.writeHead(200, contentType === undefined ? {} : { 'content-type': contentType })
    res.end(text)
  })
  const kinds = []
  for (let i = 0; i < bodies.length; i++) kinds.push((await send(server.pool, get(server.origin))).body)
  t.same(kinds, [
    { kind: 'empty' },
    { kind: 'empty' },
    { kind: 'html' },
    { kind: 'html' },
    { kind: 'invalid_json' },
    { kind: 'json', value: { Items: [] } },
    { kind: 'json', value: null }
  ])
})

t.test('a body in many chunks, under the cap, is read whole', async (t) => {
  const value = { Items: Array.from({ length: 5000 }, (_, i) => ({ Status: 'New', Sku: `SKU-${i}-${'x'.repeat(100)}` })) }
  const text = JSON.stringify(value)
  t.ok(text.length > 256 * 1024 && text.length < MAX_RESPONSE_BYTES)
  const server = await startServer(t, (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' })
    for (let i = 0; i < text.length; i += 16384) res.write(text.slice(i, i + 16384))
    res.end()
  })
  const answer = await send(server.pool, get(server.origin))
  t.same(answer.body, { kind: 'json', value })
})

t.test('an order of 5,000 items in Gooten\'s documented shape is read: the cap leaves room for it', async (t) => {
  const text = JSON.stringify(largeOrder('13-f91acc87-bd23-40df-91f4-72dad9a3c971', 520718, 7_000_000, 5000))
  // Items half as large again would still fit.
  t.ok(text.length > 3_000_000 && text.length * 1.5 < MAX_RESPONSE_BYTES, `${text.length} bytes`)
  const server = await startServer(t, (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(text)
  })
  const answer = await send(server.pool, get(server.origin))
  t.equal((answer.body as { value: { Items: unknown[] } }).value.Items.length, 5000)
})

t.test('a cancel reply over the cap is a bad response', async (t) => {
  const server = await startServer(t, (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(Buffer.alloc(MAX_RESPONSE_BYTES + 1, 0x20))
  })
  const error = await send(server.pool, { ...get(server.origin), op: 'cancelItems', method: 'PUT', body: '{}' }).catch((e: unknown) => e)
  t.match(error, { name: 'GootenError', failure: 'bad_response', op: 'cancelItems' })
})

t.test('an order over the cap is that order\'s problem (order_unreadable, too_large), and the connection is not left hanging', async (t) => {
  const server = await startServer(t, (_req, res, index) => {
    if (index > 0) return sendJson(res, 200, { ok: true })
    res.writeHead(200, { 'content-type': 'application/json' })
    res.write('[')
    const chunk = '"' + 'x'.repeat(64 * 1024) + '",'
    for (let sent = 0; sent <= MAX_RESPONSE_BYTES; sent += chunk.length) res.write(chunk)
    res.end('0]')
  })
  const error = await send(server.pool, get(server.origin)).catch((e: unknown) => e)
  t.match(error, { name: 'GootenError', failure: 'order_unreadable', op: 'getOrder', details: { status: 200, unreadable: 'too_large' } })
  const next = await send(server.pool, get(server.origin))
  t.same(next.body, { kind: 'json', value: { ok: true } }, 'the pool still works')
})

t.test('connection refused: connection_failed, provably never sent', async (t) => {
  const origin = await closedOrigin()
  const pool = new Pool(origin)
  t.teardown(() => pool.destroy())
  const error = await send(pool, get(origin)).catch((e: unknown) => e)
  t.match(error, { name: 'GootenError', failure: 'connection_failed', details: { code: 'ECONNREFUSED', neverSent: true } })
  t.equal((error as GootenError).mayHaveReachedGooten, false)
  t.notMatch((error as GootenError).message, '127.0.0.1', 'the message does not name the address')
})

t.test('a reset: connection_failed, may have been sent', async (t) => {
  const resets: Array<[string, Parameters<typeof startServer>[1]]> = [
    ['before any answer', (req) => req.socket.destroy()],
    ['mid-response', (req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' })
      res.write('{"Items":[', () => setImmediate(() => req.socket.destroy()))
    }]
  ]
  for (const [when, handler] of resets) {
    const server = await startServer(t, handler)
    const error = await send(server.pool, get(server.origin)).catch((e: unknown) => e)
    t.match(error, { name: 'GootenError', failure: 'connection_failed' }, when)
    t.equal((error as GootenError).details.neverSent, undefined, when)
    t.equal((error as GootenError).mayHaveReachedGooten, true, when)
  }
})

t.test('the deadline ending the call: timeout, whether it waits for the answer or for the rest of the body', async (t) => {
  const stalls: Array<[string, Parameters<typeof startServer>[1]]> = [
    ['no answer', () => {}],
    ['half a body, then nothing', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.write('{"Items":[')
    }],
    // Each chunk within undici's idle limit, the whole past the deadline: the reader stops it.
    ['a body trickling in', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' })
      const drip = setInterval(() => { if (!res.writableEnded) res.write(' ') }, 20)
      res.once('close', () => clearInterval(drip))
    }]
  ]
  for (const [when, handler] of stalls) {
    const server = await startServer(t, handler)
    const error = await send(server.pool, get(server.origin, '/x', Deadline.in(300))).catch((e: unknown) => e)
    t.match(error, { name: 'GootenError', failure: 'timeout', op: 'getOrder', details: { code: 'DEADLINE' } }, when)
    t.equal((error as GootenError).mayHaveReachedGooten, true, when)
  }
})

t.test('a deadline already passed: timeout, nothing sent', async (t) => {
  const server = await startServer(t, (_req, res) => sendJson(res, 200, {}))
  await t.rejects(send(server.pool, get(server.origin, '/x', new Deadline(Date.now() - 1))), { name: 'GootenError', failure: 'timeout', details: { neverSent: true } })
  t.equal(server.received.length, 0)
})

t.test('transport error classification', async (t) => {
  // Errors undici raises that a loopback server cannot provoke quickly (idle timeouts are 5 s).
  const failing = (error: unknown): Dispatcher => ({ request: async () => { throw error } }) as unknown as Dispatcher
  const classify = async (error: unknown): Promise<GootenError> =>
    await send(failing(error), get('http://gooten.invalid')).then(() => { throw new Error('no failure') }, (e: unknown) => e as GootenError)
  const coded = (code: string): Error => Object.assign(new Error(`connect ${code} http://gooten.invalid/?partnerBillingKey=SECRET`), { code })

  for (const code of ['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']) {
    t.match(await classify(coded(code)), { failure: 'timeout', details: { code } }, code)
  }
  for (const code of ['ECONNREFUSED', 'UND_ERR_CONNECT_TIMEOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']) {
    t.match(await classify(coded(code)), { failure: 'connection_failed', details: { code, neverSent: true } }, code)
  }
  for (const code of ['ECONNRESET', 'UND_ERR_SOCKET', 'EPIPE']) {
    const error = await classify(coded(code))
    t.match(error, { failure: 'connection_failed', details: { code } }, code)
    t.equal(error.details.neverSent, undefined)
  }
  const aggregate = new AggregateError([coded('ECONNREFUSED'), coded('ETIMEDOUT')], 'all failed')
  t.match(await classify(aggregate), { failure: 'connection_failed', details: { code: 'ECONNREFUSED', neverSent: true } }, 'the first inner code of an AggregateError')
  t.match(await classify(new Error('no code')), { failure: 'connection_failed', details: { code: 'UNKNOWN' } })
  t.match(await classify(Object.assign(new Error('odd'), { code: 42 })), { failure: 'connection_failed', details: { code: 'UNKNOWN' } })
  t.match(await classify(undefined), { failure: 'connection_failed', details: { code: 'UNKNOWN' } })
  const leaked = await classify(coded('ECONNRESET'))
  t.notMatch(leaked.message, 'SECRET', 'the transport message is not kept')
  t.notMatch(leaked.message, 'gooten.invalid')
})
