import type { Dispatcher } from 'undici'
import { LIMITS } from '../problems/catalogue.js'
import type { Deadline } from './deadline.js'
import { GootenError, type UpstreamOp } from './errors.js'
import { unreadableOrder, type RawAnswer } from './interpret.js'
import { parseRetryAfter } from './retry-after.js'

/**
 * The largest answer read. Cancel replies are small, but an order document grows with its items:
 * 0.6 to 0.7 kB each in Gooten's documented shape (a 5,000-item order measured 3.1 to 3.5 MB), more with long
 * image URLs and Meta. 6 MiB reads a 5,000-item order of up to 1.25 kB an item (docs/reliability.md),
 * and bounds what one call can make us buffer and parse within the 96 MB heap the image runs with.
 */
export const MAX_RESPONSE_BYTES = LIMITS.gootenBodyBytes
const PER_CALL_HEADERS_TIMEOUT_MS = 5000
const PER_CALL_BODY_IDLE_TIMEOUT_MS = 5000

export interface UpstreamRequest {
  op: UpstreamOp
  origin: string
  method: 'GET' | 'PUT'
  /** Path and query. Holds the credentials: it must never reach a log, an error or a response. */
  pathAndQuery: string
  body?: string
  deadline: Deadline
}

// Failures that happen before a single byte of the request could reach Gooten.
const NEVER_SENT_CODES = new Set(['ECONNREFUSED', 'UND_ERR_CONNECT_TIMEOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH'])
const IDLE_TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT'])

function errorCode (error: unknown): string {
  const candidate = error as { code?: unknown, errors?: Array<{ code?: unknown }> } | undefined
  const code = candidate?.code ?? candidate?.errors?.[0]?.code
  return typeof code === 'string' ? code : 'UNKNOWN'
}

const deadlinePassed = (op: UpstreamOp): GootenError =>
  new GootenError('timeout', op, 'the request deadline passed while calling Gooten', { code: 'DEADLINE' })

/** Maps a thrown transport error to our terms without keeping its message (which may name the URL). */
function classify (op: UpstreamOp, error: unknown, deadline: Deadline): GootenError {
  if (error instanceof GootenError) return error
  const code = errorCode(error)
  // undici's limits are the time left when the call began: one that ran out with it is the deadline.
  if (IDLE_TIMEOUT_CODES.has(code) && deadline.remainingMs <= 0) return deadlinePassed(op)
  if (IDLE_TIMEOUT_CODES.has(code)) return new GootenError('timeout', op, 'Gooten stopped answering mid-call', { code })
  if (NEVER_SENT_CODES.has(code)) return new GootenError('connection_failed', op, 'could not connect to Gooten', { code, neverSent: true })
  return new GootenError('connection_failed', op, 'the connection to Gooten failed', { code })
}

/**
 * Reads the whole body, at most MAX_RESPONSE_BYTES of it, and no longer than the deadline: undici's
 * body timeout is the time between chunks, so a body that trickles in is cut off here. 'data'
 * events cost less than an async iterator.
 */
async function readCapped (op: UpstreamOp, body: Dispatcher.ResponseData['body'], status: number, deadline: Deadline): Promise<string> {
  return await new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    const fail = (error: Error): void => {
      clearTimeout(timer)
      body.destroy()
      reject(error)
    }
    const timer = setTimeout(() => { fail(deadlinePassed(op)) }, Math.max(0, deadline.remainingMs))
    body.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > MAX_RESPONSE_BYTES) {
        // An order too big to read is that order's problem; a cancel reply that big is not one we know.
        fail(op === 'getOrder' ? unreadableOrder('too_large', status) : new GootenError('bad_response', op, 'Gooten answered a body over the size cap', { status }))
        return
      }
      chunks.push(chunk)
    })
    body.once('end', () => {
      clearTimeout(timer)
      resolve(chunks.length === 1 ? (chunks[0] as Buffer).toString('utf8') : Buffer.concat(chunks).toString('utf8'))
    })
    body.once('error', (error) => { fail(classify(op, error, deadline)) })
  })
}

function toBody (text: string, contentType: string): RawAnswer['body'] {
  const trimmed = text.trimStart()
  if (trimmed === '') return { kind: 'empty' }
  if (contentType.includes('html') || trimmed.startsWith('<')) return { kind: 'html' }
  try {
    return { kind: 'json', value: JSON.parse(trimmed) }
  } catch {
    return { kind: 'invalid_json' }
  }
}

/** One HTTP exchange with Gooten: sends, reads at most MAX_RESPONSE_BYTES, always consumes or destroys the body. */
export async function send (dispatcher: Dispatcher, request: UpstreamRequest): Promise<RawAnswer> {
  const remainingMs = request.deadline.remainingMs
  if (remainingMs <= 0) {
    throw new GootenError('timeout', request.op, 'the request deadline passed before calling Gooten', { code: 'DEADLINE', neverSent: true })
  }
  try {
    // No AbortSignal: undici's own limits, cut to the time left, end the call by the deadline, and
    // cost a fraction of what a signal's listeners do on every call.
    const response = await dispatcher.request({
      origin: request.origin,
      method: request.method,
      path: request.pathAndQuery,
      headers: request.body === undefined
        ? { accept: 'application/json' }
        : { accept: 'application/json', 'content-type': 'application/json' },
      ...(request.body === undefined ? {} : { body: request.body }),
      headersTimeout: Math.min(PER_CALL_HEADERS_TIMEOUT_MS, remainingMs),
      bodyTimeout: Math.min(PER_CALL_BODY_IDLE_TIMEOUT_MS, remainingMs)
    })
    const text = await readCapped(request.op, response.body, response.statusCode, request.deadline)
    const contentType = String(response.headers['content-type'] ?? '')
    return {
      status: response.statusCode,
      retryAfterMs: parseRetryAfter(response.headers['retry-after']),
      body: toBody(text, contentType)
    }
  } catch (error) {
    throw classify(request.op, error, request.deadline)
  }
}
