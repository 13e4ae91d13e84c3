import { once } from 'node:events'
import { createServer, request, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface RecordingProxy {
  url: string
  /** The headers of every request that reached the proxy, as the service sent them. */
  headers: IncomingHttpHeaders[]
  close: () => Promise<void>
}

/**
 * Forwards every request to `target` unchanged, keeping its headers: the simulator's faults still
 * reach the service (a reset upstream resets the service's connection too, a hang hangs it).
 */
export async function startRecordingProxy (target: string): Promise<RecordingProxy> {
  const headers: IncomingHttpHeaders[] = []
  const server = createServer((inbound, outbound) => {
    headers.push(inbound.headers)
    const upstream = request(new URL(inbound.url ?? '/', target), { method: inbound.method, headers: inbound.headers }, (answer) => {
      outbound.writeHead(answer.statusCode ?? 502, answer.headers)
      answer.pipe(outbound)
      answer.on('error', () => outbound.destroy())
    })
    upstream.on('error', () => outbound.destroy())
    // The service gave up (its deadline): so does the call behind it.
    outbound.on('close', () => { if (!outbound.writableFinished) upstream.destroy() })
    inbound.pipe(upstream)
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    headers,
    close: async () => {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  }
}
