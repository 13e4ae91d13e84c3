/** Everything the simulator remembers between requests, and how to forget it. */
import { CallLog } from './calls.js'
import { Connections } from './connections.js'
import { FaultQueue } from './faults.js'
import { OrderStore } from './store.js'

export class SimulatorState {
  readonly faults = new FaultQueue()
  readonly connections = new Connections()
  readonly store: OrderStore
  readonly calls: CallLog

  constructor (limits: { maxFreshOrders: number, maxCalls: number }) {
    this.store = new OrderStore(limits.maxFreshOrders)
    this.calls = new CallLog(limits.maxCalls)
  }

  /** Restore the seeds; clear faults, calls and stats. */
  reset (): void {
    this.store.reset()
    this.faults.clear()
    this.calls.clear()
    this.connections.reset()
  }
}
