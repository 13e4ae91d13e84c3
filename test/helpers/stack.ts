import { Writable } from 'node:stream'
import type { FastifyInstance } from 'fastify'
import { buildApp, type BuildAppOptions } from '../../src/app.js'
import { loadConfig, type Config } from '../../src/config.js'
import { startSimulator, type Simulator, type SimulatorOptions } from '../../src/simulator/server.js'
import { checkAnswer } from './contract.js'

export const TEST_RECIPE_ID = 'test-recipe-7f3a9c'
// Base64-like on purpose: + / = must reach Gooten intact.
export const TEST_BILLING_KEY = 'tK+9/x2Q==ab+cd/ef='

/** Every log line an app wrote, parsed, plus the raw text for secret searches. */
export class LogCapture {
  readonly raw: string[] = []
  readonly stream = new Writable({
    write: (chunk: Buffer, _encoding, done) => {
      this.raw.push(...chunk.toString('utf8').split('\n').filter((line) => line !== ''))
      done()
    }
  })

  get lines (): Array<Record<string, unknown>> {
    return this.raw.map((line) => JSON.parse(line) as Record<string, unknown>)
  }

  find (message: string): Array<Record<string, unknown>> {
    return this.lines.filter((line) => line.msg === message)
  }
}

/** The environment a real service process needs to serve on a free loopback port against `gootenUrl`, plus `extra`. */
export function processEnv (gootenUrl: string, extra: Record<string, string> = {}): Record<string, string> {
  return { GOOTEN_RECIPE_ID: TEST_RECIPE_ID, GOOTEN_PARTNER_BILLING_KEY: TEST_BILLING_KEY, GOOTEN_BASE_URL: gootenUrl, HOST: '127.0.0.1', PORT: '0', ...NO_LOCK_DELAY, ...extra }
}

/**
 * Each test's Redis starts empty, which the service cannot tell from a Redis that lost its keys:
 * without this, its first cancel would wait out a lock-delay of minutes. The tests of the
 * lock-delay set their own.
 */
export const NO_LOCK_DELAY = { STORE_LOCK_DELAY_MS: '0' }

export function testConfig (environment: Record<string, string> = {}): Config {
  return loadConfig({
    // A credential read from a file (…_FILE) replaces the test's value.
    ...(environment.GOOTEN_RECIPE_ID_FILE === undefined ? { GOOTEN_RECIPE_ID: TEST_RECIPE_ID } : {}),
    ...(environment.GOOTEN_PARTNER_BILLING_KEY_FILE === undefined ? { GOOTEN_PARTNER_BILLING_KEY: TEST_BILLING_KEY } : {}),
    GOOTEN_BASE_URL: 'http://127.0.0.1:9',
    LOG_LEVEL: 'info',
    // In-process, the test's own work (compiling contract validators on first use) runs on the
    // service's loop; test/integration/overload.test.ts turns shedding on.
    OVERLOAD_MAX_EVENT_LOOP_DELAY_MS: '0',
    ...NO_LOCK_DELAY,
    ...environment
  })
}

export interface Stack {
  sim: Simulator
  app: FastifyInstance
  /** The service's origin, e.g. http://127.0.0.1:41234 */
  url: string
  logs: LogCapture
}

/** What a helper needs of tap's test: somewhere to register its clean-up. */
export interface Teardown { teardown: (fn: () => unknown) => void }

export interface StackOptions {
  env?: Record<string, string>
  sim?: SimulatorOptions
  app?: Partial<BuildAppOptions>
  /** Adds a test's own hooks or routes, after the service's and before it listens. */
  prepare?: (app: FastifyInstance) => void
}

/** The service and the Gooten simulator, each listening on its own loopback port. */
export async function startStack (t: Teardown, options: StackOptions = {}): Promise<Stack> {
  const sim = await startSimulator({ recipeId: TEST_RECIPE_ID, partnerBillingKey: TEST_BILLING_KEY, ...options.sim })
  const logs = new LogCapture()
  const config = testConfig({ GOOTEN_BASE_URL: sim.url, ...options.env })
  const app = await buildApp({ config, logStream: logs.stream, ...options.app })
  options.prepare?.(app)
  const url = await app.listen({ host: '127.0.0.1', port: 0 })
  t.teardown(async () => {
    await app.close()
    await sim.close()
  })
  return { sim, app, url, logs }
}

export interface JsonAnswer {
  status: number
  headers: Headers
  body: Record<string, unknown> & { items?: Array<Record<string, unknown>>, errors?: Array<Record<string, unknown>> }
}

/** A real HTTP request to the service. */
export async function call (url: string, path: string, init: { method?: string, body?: unknown, rawBody?: string, headers?: Record<string, string> } = {}): Promise<JsonAnswer> {
  const headers: Record<string, string> = { ...init.headers }
  let body: string | undefined = init.rawBody
  if (init.body !== undefined) {
    body = JSON.stringify(init.body)
    headers['content-type'] ??= 'application/json'
  }
  const method = init.method ?? (body === undefined ? 'GET' : 'POST')
  const response = await fetch(`${url}${path}`, { method, headers, ...(body === undefined ? {} : { body }) })
  const text = await response.text()
  // Every answer must be one the OpenAPI document allows, whatever the test itself asserts.
  checkAnswer({ method, path, status: response.status, headers: response.headers, text })
  return { status: response.status, headers: response.headers, body: text === '' ? {} : JSON.parse(text) }
}

export const cancelPath = (orderId: string, query = ''): string => `/orders/${orderId}/items/cancel${query}`
