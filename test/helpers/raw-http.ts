import { once } from 'node:events'
import { connect, type Socket } from 'node:net'

/** A raw connection that records what the server sends and when it closes the connection. */
export interface RawClient {
  socket: Socket
  received: () => string
  /** Resolves once the server has closed the connection. */
  closed: Promise<void>
}

/** Writes bytes on a fresh connection, as a client fetch would never send them. */
export function rawClient (url: string, bytes: string): RawClient {
  const { hostname, port } = new URL(url)
  const socket = connect(Number(port), hostname)
  const chunks: Buffer[] = []
  socket.on('data', (chunk: Buffer) => chunks.push(chunk))
  socket.on('error', () => {})
  socket.write(bytes)
  return { socket, received: () => Buffer.concat(chunks).toString(), closed: once(socket, 'close').then(() => undefined) }
}

/** Everything the server sent on a fresh connection before closing it. */
export async function rawExchange (url: string, bytes: string): Promise<string> {
  const client = rawClient(url, bytes)
  await client.closed
  return client.received()
}

/** The first HTTP answer in `text`: status, headers (lower-cased names) and JSON body. */
export function answerIn (text: string): { status: number, headers: Record<string, string>, body: Record<string, unknown> } {
  const [head = '', body = ''] = text.split('\r\n\r\n')
  const [statusLine = '', ...lines] = head.split('\r\n')
  const headers = Object.fromEntries(lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]))
  return { status: Number(statusLine.split(' ')[1]), headers, body: body === '' ? {} : JSON.parse(body) as Record<string, unknown> }
}
