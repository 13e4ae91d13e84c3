// The part of autocannon 9's programmatic API the benchmarks use (the package ships no types).
declare module 'autocannon' {
  import type { EventEmitter } from 'node:events'

  namespace autocannon {
    interface Request {
      method?: string
      path?: string
      headers?: Record<string, string>
      body?: string | Buffer
      /** Called just before the request is written; returns the request to send. */
      setupRequest?: (request: Request, context: Record<string, unknown>) => Request
      onResponse?: (status: number, body: string, context: Record<string, unknown>, headers: Record<string, string>) => void
    }

    interface Client extends EventEmitter {
      on(event: 'response', listener: (statusCode: number, resBytes: number, responseTimeMs: number) => void): this
      on(event: string, listener: (...args: unknown[]) => void): this
    }

    interface Options {
      url: string
      connections?: number
      duration?: number
      amount?: number
      sampleInt?: number
      timeout?: number
      pipelining?: number
      overallRate?: number
      connectionRate?: number
      method?: string
      headers?: Record<string, string>
      body?: string | Buffer
      requests?: Request[]
      setupClient?: (client: Client) => void
    }

    interface Histogram {
      average: number
      mean: number
      max: number
      min: number
      p50: number
      p99: number
      total: number
    }

    interface Result {
      requests: Histogram
      latency: Histogram
      duration: number
      errors: number
      timeouts: number
      mismatches: number
      non2xx: number
      resets: number
      statusCodeStats: Record<string, { count: number }>
    }

    interface Instance extends EventEmitter {
      stop: () => void
    }
  }

  function autocannon (options: autocannon.Options, callback: (error: Error | null, result: autocannon.Result) => void): autocannon.Instance

  export = autocannon
}
