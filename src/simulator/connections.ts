/** Open sockets and what they tell: the high-water mark, and requests whose client left early. */
import type { Socket } from 'node:net'

export interface SimStats {
  /** Sockets open right now (control-route connections included). */
  openConnections: number
  /** High-water mark of `openConnections` since start or the last reset. */
  maxOpenConnections: number
  /** Requests whose client went away before the answer was sent. */
  abortedRequests: number
}

export class Connections {
  readonly #sockets = new Set<Socket>()
  #maxOpen = 0
  #aborted = 0

  readonly track = (socket: Socket): void => {
    const sockets = this.#sockets
    sockets.add(socket)
    if (sockets.size > this.#maxOpen) this.#maxOpen = sockets.size
    socket.once('close', () => sockets.delete(socket))
  }

  readonly countAbort = (): void => {
    this.#aborted++
  }

  stats (): SimStats {
    return { openConnections: this.#sockets.size, maxOpenConnections: this.#maxOpen, abortedRequests: this.#aborted }
  }

  /** Forget the counts; the high-water mark restarts from the sockets open now. */
  reset (): void {
    this.#aborted = 0
    this.#maxOpen = this.#sockets.size
  }

  /** Destroy every open socket, hanging requests included. */
  destroyAll (): void {
    for (const socket of this.#sockets) socket.destroy()
    this.#sockets.clear()
  }
}
