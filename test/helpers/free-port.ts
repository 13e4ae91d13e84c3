import { once } from 'node:events'
import { createServer } from 'node:net'

/**
 * A loopback port free a moment ago, for the servers that cannot be told to pick one themselves
 * (redis-server, prometheus): another process may take it first, so callers try again on failure.
 */
export async function freePort (): Promise<number> {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as { port: number }
  server.close()
  await once(server, 'close')
  return port
}
