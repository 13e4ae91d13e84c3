import { once } from 'node:events'
import { connect, type Socket } from 'node:net'

/** A raw connection that records what the server sends and when it closes the connection. */
export interface RawClient {
  socket: Socket
  /** Resolves once the connection is open. */
  connected: Promise<void>
  /** Writes bytes as they are, as a client fetch would never send them. */
  send: (bytes: string) => void
  received: () => string
  /** Resolves once the server has closed the connection. */
  closed: Promise<void>
}

/** A fresh connection to the server at `url`, writing nothing yet. */
export function rawConnection (url: string): RawClient {
  const { hostname, port } = new URL(url)
  const socket = connect(Number(port), hostname)
  const chunks: Buffer[] = []
  socket.on('data', (chunk: Buffer) => chunks.push(chunk))
  socket.on('error', () => {})
  return {
    socket,
    connected: once(socket, 'connect').then(() => undefined),
    send: (bytes) => { socket.write(bytes) },
    received: () => Buffer.concat(chunks).toString(),
    closed: once(socket, 'close').then(() => undefined)
  }
}

/** Writes bytes on a fresh connection. */
export function rawClient (url: string, bytes: string): RawClient {
  const client = rawConnection(url)
  client.send(bytes)
  return client
}

/** Everything the server sent on a fresh connection before closing it. */
export async function rawExchange (url: string, bytes: string): Promise<string> {
  const client = rawClient(url, bytes)
  await client.closed
  return client.received()
}

/** The first HTTP answer in `text`: status, headers (lower-cased names), the body's text and its JSON. */
export function answerIn (text: string): { status: number, headers: Record<string, string>, text: string, body: Record<string, unknown> } {
  // Up to the next blank line: a pipelined answer after this one is left out.
  const [head = '', body = ''] = text.split('\r\n\r\n')
  const [statusLine = '', ...lines] = head.split('\r\n')
  const headers = Object.fromEntries(lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]))
  return { status: Number(statusLine.split(' ')[1]), headers, text: body, body: body === '' ? {} : JSON.parse(body) as Record<string, unknown> }
}
