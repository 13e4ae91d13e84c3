// `npm run bench:idempotency`: how much memory the idempotency records take. One caller sends
// BENCH_IDEM_KEYS (10,000) cancels, each with its own Idempotency-Key, that Gooten's order turns into
// 422 ITEMS_NOT_IN_ORDER answers listing 100 items (the largest answer a caller can make the service
// keep). Without Redis it samples the service's RSS before and after; with BENCH_IDEM_REDIS=<url>
// (a Redis of its own: the run flushes its database) it reads Redis's used_memory and one record's
// MEMORY USAGE and time to live. BENCH_REF=<git ref> measures another commit's src.
// Not part of `npm test`: memory figures are measured, not asserted.
import { Redis } from 'ioredis'
import { Pool } from 'undici'
import { SEED } from '../src/simulator/seed.js'
import { peakRssMb, rssMb } from './lib/procs.js'
import { buildService, serviceSettings, startService, startSimulator } from './lib/setup.js'

const keys = Number(process.env.BENCH_IDEM_KEYS ?? 10_000)
const redisUrl = process.env.BENCH_IDEM_REDIS
const basePort = Number(process.env.BENCH_IDEM_PORT ?? 47_500)
const CONCURRENCY = 16
const log = (line: string): void => { process.stderr.write(`bench:idempotency: ${line}\n`) }

const build = buildService()
const settings = serviceSettings()
if (redisUrl !== undefined) {
  settings.env.REDIS_URL = redisUrl
  const admin = new Redis(redisUrl)
  await admin.flushdb()
  admin.disconnect()
}
const simulator = await startSimulator(build.dist, basePort + 1)
const service = await startService(build.dist, basePort, simulator.url, settings)
const pool = new Pool(service.url, { connections: CONCURRENCY })
// 100 ids the demo order does not hold: a 422 that lists each of them.
const body = JSON.stringify({ itemIds: Array.from({ length: 100 }, (_, i) => 80_000_000 + i) })
let answerBytes = 0
const statuses: Record<number, number> = {}

async function send (n: number): Promise<void> {
  const response = await pool.request({
    method: 'POST',
    path: `/orders/${SEED.demo.safeId}/items/cancel`,
    headers: { 'content-type': 'application/json', 'idempotency-key': `bench-${n}` },
    body
  })
  const text = await response.body.text()
  answerBytes = Buffer.byteLength(text)
  statuses[response.statusCode] = (statuses[response.statusCode] ?? 0) + 1
}

/** RSS and the V8 heap in use (from /metrics), in MB. */
async function sample (): Promise<string> {
  const metrics = await (await fetch(`${service.url}/metrics`)).text()
  const heapUsed = Number(/^nodejs_heap_size_used_bytes (\S+)/m.exec(metrics)?.[1]) / 1024 / 1024
  return `RSS ${rssMb(service.proc.pid).toFixed(0)} MB, heap used ${heapUsed.toFixed(0)} MB`
}

try {
  // A few hundred first, so start-up allocation and JIT are not counted as records.
  for (let n = 0; n < 200; n++) await send(-1 - n)
  log(`source: ${build.source}; ${process.env.BENCH_SERVICE_NODE_OPTIONS ?? ''}`)
  log(`before: ${await sample()}`)
  let next = 0
  for (let done = 0; done < keys; done = next) {
    const upTo = Math.min(keys, done + 10_000)
    await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
      while (next < upTo && service.proc.child.exitCode === null) await send(next++)
    }))
    if (service.proc.child.exitCode !== null) throw new Error(`the service exited after ${next} keys`)
    log(`after ${next} keys: ${await sample()}`)
  }
  log(`statuses ${JSON.stringify(statuses)}; answer ${answerBytes} bytes; peak RSS ${peakRssMb(service.proc.pid).toFixed(0)} MB`)
  if (redisUrl !== undefined) {
    const redis = new Redis(redisUrl)
    const [key] = (await redis.scan('0', 'MATCH', 'gop:idem:*', 'COUNT', 1000))[1]
    const info = await redis.info('memory')
    const usedMemory = Number(/used_memory:(\d+)/.exec(info)?.[1])
    if (key !== undefined) {
      log(`one record: ${String(await redis.strlen(key))} bytes of value, MEMORY USAGE ${String(await redis.memory('USAGE', key))} bytes, PTTL ${String(await redis.pttl(key))} ms`)
    }
    log(`Redis: ${String(await redis.dbsize())} keys, used_memory ${(usedMemory / 1024 / 1024).toFixed(1)} MiB`)
    redis.disconnect()
  }
} finally {
  await pool.close()
  await service.proc.stop()
  await simulator.proc.stop()
}
