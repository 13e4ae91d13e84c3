import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { connect } from 'node:net'
import { freePort } from './free-port.js'
import { Redis } from 'ioredis'

async function answersPing (port: number): Promise<boolean> {
  return await new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    socket.setTimeout(500)
    socket.once('connect', () => socket.write('PING\r\n'))
    socket.once('data', (data) => { socket.destroy(); resolve(data.toString().startsWith('+PONG')) })
    socket.once('error', () => resolve(false))
    socket.once('timeout', () => { socket.destroy(); resolve(false) })
  })
}

/** A throwaway redis-server (Debian's package) on its own port, without persistence. */
export class RedisServer {
  #process: ChildProcess | undefined

  private constructor (readonly port: number) {}

  static async start (t: { teardown: (fn: () => unknown) => void }): Promise<RedisServer> {
    const server = new RedisServer(await freePort())
    await server.start()
    t.teardown(async () => { await server.stop() })
    return server
  }

  get url (): string {
    return `redis://127.0.0.1:${this.port}`
  }

  async start (): Promise<void> {
    this.#process = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' })
    this.#process.once('error', (error) => { throw new Error(`redis-server could not start (apt-get install redis-server): ${error.message}`) })
    for (let attempt = 0; attempt < 200; attempt++) {
      if (await answersPing(this.port)) return
      await new Promise((resolve) => setTimeout(resolve, 25))
    }
    throw new Error('redis-server did not answer PING')
  }

  /** Kills the server at once, as a crash would. */
  async stop (): Promise<void> {
    const child = this.#process
    if (child === undefined || child.exitCode !== null) return
    child.kill('SIGKILL')
    await once(child, 'exit')
    this.#process = undefined
  }
}

/**
 * A Redis for tests that never stop it. CI starts one redis-server on loopback and names it in
 * TEST_REDIS_URL (.ci/run); each call then gets a database of its own, emptied first, so the test
 * files tap runs in parallel never see each other's keys. Without TEST_REDIS_URL a throwaway
 * redis-server serves the test alone.
 */
export async function redisForTest (t: { teardown: (fn: () => unknown) => void }): Promise<{ url: string }> {
  const shared = process.env.TEST_REDIS_URL
  if (shared === undefined || shared === '') return await RedisServer.start(t)
  const admin = new Redis(shared, { lazyConnect: true, maxRetriesPerRequest: 1 })
  try {
    await admin.connect()
    const [, databases] = await admin.config('GET', 'databases') as [string, string]
    // Database 0 holds only the counter; the others are handed out in turn.
    const database = 1 + ((await admin.incr('gop-test:next-database')) % (Number(databases) - 1))
    await admin.select(database)
    await admin.flushdb()
    return { url: `${shared.replace(/\/\d*$/, '')}/${database}` }
  } finally {
    admin.disconnect()
  }
}
