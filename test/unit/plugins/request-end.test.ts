import { once } from 'node:events'
import type { Socket } from 'node:net'
import { request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http'
import { PassThrough } from 'node:stream'
import Fastify from 'fastify'
import t from 'tap'
import { onRequestEnd } from '../../../src/plugins/request-end.js'
import { eventually } from '../../helpers/eventually.js'

interface Ended { url: string, status: number, hungUp: boolean }

async function setup (t: { teardown: (fn: () => unknown) => void }) {
  const app = Fastify()
  const ended: Ended[] = []
  onRequestEnd(app, (request, reply, hungUp) => { ended.push({ url: request.url, status: reply.statusCode, hungUp }) })
  let release: () => void = () => {}
  const released = new Promise<void>((resolve) => { release = resolve })
  const started = { slow: undefined as Socket | undefined, stream: undefined as PassThrough | undefined }
  app.get('/fast', async () => ({ ok: true }))
  app.get('/slow', async (request) => {
    started.slow = request.raw.socket
    await released
    return { ok: true }
  })
  app.get('/stream', async (_request, reply) => {
    const body = new PassThrough()
    started.stream = body
    body.write('first chunk\n')
    return await reply.type('text/plain').send(body)
  })
  const url = await app.listen({ host: '127.0.0.1', port: 0 })
  t.teardown(async () => await app.close())
  return { url, ended, release, started }
}

function open (url: string): { client: ClientRequest, response: Promise<IncomingMessage> } {
  const client = httpRequest(url)
  client.on('error', () => {})
  const response = new Promise<IncomingMessage>((resolve) => client.once('response', resolve))
  client.end()
  return { client, response }
}

t.test('an answered request ends once, not hung up', async (t) => {
  const { url, ended } = await setup(t)
  const response = await fetch(`${url}/fast`)
  await response.text()
  await eventually('the end', () => ended.length === 1)
  t.same(ended, [{ url: '/fast', status: 200, hungUp: false }])
})

t.test('a caller who hangs up before the answer is made: the request ends once, when the answer is made', async (t) => {
  const { url, ended, release, started } = await setup(t)
  const { client } = open(`${url}/slow`)
  await eventually('the handler to start', () => started.slow !== undefined)
  client.destroy()
  await eventually('the service to see the caller gone', () => started.slow?.destroyed === true)
  // Nothing has ended yet: the work goes on.
  t.same(ended, [])
  release()
  await eventually('the end', () => ended.length > 0)
  t.same(ended, [{ url: '/slow', status: 200, hungUp: true }])
})

t.test('a caller who hangs up while the answer is being written: the request ends once', async (t) => {
  const { url, ended, started } = await setup(t)
  const { client, response } = open(`${url}/stream`)
  const answer = await response
  await once(answer, 'data')
  client.destroy()
  await eventually('the end', () => ended.length > 0)
  started.stream?.end('never read')
  t.same(ended, [{ url: '/stream', status: 200, hungUp: true }])
})
