/** Reading a request body whole, with a cap so a test cannot make the simulator hold gigabytes. */
import type { Exchange } from './exchange.js'

const EMPTY = Promise.resolve(Buffer.alloc(0))

/**
 * The whole body, or undefined when the client went away or the body is over `limit` (declared
 * or streamed); then the socket is dropped without an answer. A request without a body resolves
 * at once.
 */
export function readBody (ex: Exchange, limit: number): Promise<Buffer | undefined> {
  const { req } = ex
  const length = req.headers['content-length']
  if (req.headers['transfer-encoding'] === undefined && (length === undefined || length === '0')) return EMPTY
  if (Number(length) > limit) {
    ex.drop()
    return Promise.resolve(undefined)
  }
  return new Promise(resolve => {
    const chunks: Buffer[] = []
    let size = 0
    const fail = (): void => resolve(undefined)
    req.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > limit) {
        req.removeAllListeners('data')
        ex.drop()
        fail()
      } else {
        chunks.push(chunk)
      }
    })
    req.once('end', () => resolve(Buffer.concat(chunks, size)))
    req.once('error', fail)
    req.once('close', fail)
  })
}
