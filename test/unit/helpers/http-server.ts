import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Pool } from 'undici'
import type { Teardown } from '../../helpers/stack.js'

/** One request as the server saw it; `url` is the raw request target, exactly as sent. */
export interface Received {
  method: string
  url: string
  headers: IncomingMessage['headers']
  body: string
}

export type Handler = (req: IncomingMessage, res: ServerResponse, index: number) => void

export interface TestServer {
  origin: string
  received: Received[]
  /** A Pool for this origin, closed at teardown. */
  pool: Pool
}

/** A loopback HTTP server answering each request with `handler(req, res, index)` (index from 0). */
export async function startServer (t: Teardown, handler: Handler): Promise<TestServer> {
  const received: Received[] = []
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const index = received.length
      received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') })
      handler(req, res, index)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const pool = new Pool(origin)
  t.teardown(async () => {
    await pool.destroy()
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  })
  return { origin, received, pool }
}

/** An origin on 127.0.0.1 with nothing listening: connecting is refused. */
export async function closedOrigin (): Promise<string> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return `http://127.0.0.1:${port}`
}

export function sendJson (res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers })
  res.end(JSON.stringify(value))
}
