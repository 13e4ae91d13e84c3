import t from 'tap'
import type { Socket } from 'node:net'
import { answerClientError } from '../../../src/http/client-errors.js'

function fakeSocket (state: { writable: boolean, destroyed: boolean }): { socket: Socket, written: string[], destroyedWith: unknown[] } {
  const written: string[] = []
  const destroyedWith: unknown[] = []
  const socket = { ...state, write: (data: string) => written.push(data), destroy: (error: unknown) => destroyedWith.push(error) }
  return { socket: socket as unknown as Socket, written, destroyedWith }
}

function clientError (code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(code), { code })
}

t.test('a reset or already closed connection gets no answer', async (t) => {
  const reset = fakeSocket({ writable: true, destroyed: false })
  answerClientError(clientError('ECONNRESET'), reset.socket)
  t.same(reset.written, [])
  t.same(reset.destroyedWith, [])
  const gone = fakeSocket({ writable: false, destroyed: true })
  answerClientError(clientError('HPE_INVALID_METHOD'), gone.socket)
  t.same(gone.written, [])
})

t.test('a socket that can no longer be written to is closed without an answer', async (t) => {
  const halfClosed = fakeSocket({ writable: false, destroyed: false })
  const error = clientError('HPE_INVALID_METHOD')
  answerClientError(error, halfClosed.socket)
  t.same(halfClosed.written, [])
  t.same(halfClosed.destroyedWith, [error])
})
