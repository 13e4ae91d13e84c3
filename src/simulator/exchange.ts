/**
 * One request and its response, watched from arrival to close, so that a client leaving early
 * is noticed: a pause ends at once, and the request counts as aborted unless we dropped the
 * socket on purpose (a fault, a body over the cap).
 */
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http'
import type { Reply } from './reply.js'

export class Exchange {
  readonly method: string
  /** The path as sent, without the query string. */
  readonly path: string
  /** The raw query string, without the `?`. */
  readonly query: string
  /** The response is over: answered, or the client left. */
  #closed = false
  #droppedOnPurpose = false

  constructor (readonly req: IncomingMessage, readonly res: ServerResponse, onAbort: () => void) {
    const url = req.url as string
    const q = url.indexOf('?')
    this.path = q === -1 ? url : url.slice(0, q)
    this.query = q === -1 ? '' : url.slice(q + 1)
    this.method = req.method as string
    res.once('close', () => {
      this.#closed = true
      if (!res.writableFinished && !this.#droppedOnPurpose) onAbort()
    })
  }

  send (reply: Reply, { connectionClose = false } = {}): void {
    const headers: OutgoingHttpHeaders = {
      'content-type': reply.contentType,
      'content-length': Buffer.byteLength(reply.body)
    }
    if (reply.retryAfter !== undefined) headers['retry-after'] = reply.retryAfter
    if (connectionClose) headers.connection = 'close'
    this.res.writeHead(reply.status, headers)
    this.res.end(reply.body)
  }

  /** Destroy the socket without answering: our doing, so not an abort. */
  drop (): void {
    this.#droppedOnPurpose = true
    this.req.socket.destroy()
  }

  /** The response is over without an answer from us: the client went away. */
  get clientLeft (): boolean {
    return this.#closed
  }

  /** Resolves after `ms`, whether or not the client is still there (a server that runs on regardless). */
  async hold (ms: number): Promise<void> {
    await new Promise<void>(resolve => setTimeout(resolve, ms))
  }

  /** Resolves true after `ms`, or false as soon as the client goes away (or if it already has). */
  pause (ms: number): Promise<boolean> {
    return new Promise(resolve => {
      const onClose = (): void => {
        clearTimeout(timer)
        resolve(false)
      }
      const timer = setTimeout(() => {
        this.res.off('close', onClose)
        resolve(!this.#closed)
      }, ms)
      this.res.once('close', onClose)
    })
  }
}
