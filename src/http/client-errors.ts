import { randomUUID } from 'node:crypto'
import type { Socket } from 'node:net'
import { PROBLEMS } from '../problems/catalogue.js'
import { problemDocument } from './problems.js'

const REASONS = { 400: 'Bad Request', 408: 'Request Timeout', 431: 'Request Header Fields Too Large' } as const

/**
 * Requests Node's HTTP parser refuses before Fastify sees them (malformed framing, oversized
 * headers, a body that never arrives) answered in the same problem+json shape as every other
 * bad input, instead of Fastify's own `{"error":"Bad Request"}`. The status stays Node's.
 */
export function answerClientError (error: NodeJS.ErrnoException, socket: Socket): void {
  // A reset connection has nobody left to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return
  const status = error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : error.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400
  const requestId = randomUUID()
  const { detail: details } = PROBLEMS.VALIDATION_FAILED
  const detail = status === 408 ? details.tooSlow : status === 431 ? details.headersTooLarge : details.notHttp
  const body = JSON.stringify(problemDocument('VALIDATION_FAILED', detail, requestId, {
    status,
    body: { errors: [{ path: '', message: status === 408 ? 'arrived too slowly' : 'could not be parsed' }] }
  }))
  if (socket.writable) {
    socket.write(`HTTP/1.1 ${status} ${REASONS[status]}\r\ncontent-type: application/problem+json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nx-request-id: ${requestId}\r\nconnection: close\r\n\r\n${body}`)
  }
  socket.destroy(error)
}
