import t from 'tap'
import { CircuitBreaker, type CircuitState } from '../../../src/gooten/circuit-breaker.js'
import { GootenError } from '../../../src/gooten/errors.js'

function setup (failureThreshold = 3, openMs = 30000): { circuit: CircuitBreaker, clock: { now: number }, states: CircuitState[] } {
  const clock = { now: 1_000_000 }
  const states: CircuitState[] = []
  const circuit = new CircuitBreaker({ failureThreshold, openMs, now: () => clock.now, onStateChange: (s) => states.push(s) })
  return { circuit, clock, states }
}

function rejection (circuit: CircuitBreaker): GootenError {
  try {
    circuit.admit('cancelItems')
  } catch (error) {
    return error as GootenError
  }
  throw new Error('admitted')
}

t.test('closed: admits everything; retryAfterMs is 0', async (t) => {
  const { circuit, states } = setup()
  t.equal(circuit.state, 'closed')
  t.equal(circuit.retryAfterMs, 0)
  for (let i = 0; i < 10; i++) circuit.admit('getOrder')
  t.same(states, [])
})

t.test('opens after failureThreshold consecutive failures', async (t) => {
  const { circuit, states } = setup(3)
  circuit.failed()
  circuit.failed()
  t.equal(circuit.state, 'closed')
  circuit.failed()
  t.equal(circuit.state, 'open')
  t.same(states, ['open'])
  t.equal(circuit.retryAfterMs, 30000)
})

t.test('a success resets the count', async (t) => {
  const { circuit, states } = setup(3)
  circuit.failed()
  circuit.failed()
  circuit.succeeded()
  circuit.failed()
  circuit.failed()
  t.equal(circuit.state, 'closed')
  t.same(states, [], 'a success while closed changes no state')
  circuit.failed()
  t.equal(circuit.state, 'open')
})

t.test('open: refuses with circuit_open, never sent, with a Retry-After', async (t) => {
  const { circuit, clock } = setup(1, 30000)
  circuit.failed()
  const error = rejection(circuit)
  t.ok(error instanceof GootenError)
  t.match(error, { failure: 'circuit_open', op: 'cancelItems', details: { neverSent: true, retryAfterMs: 30000 } })
  t.equal(error.mayHaveReachedGooten, false)
  clock.now += 29500
  t.equal(circuit.retryAfterMs, 500)
  t.equal(rejection(circuit).details.retryAfterMs, 1000, 'Retry-After is at least a second')
})

t.test('after openMs: half-open admits exactly one trial', async (t) => {
  const { circuit, clock, states } = setup(1, 30000)
  circuit.failed()
  clock.now += 30000
  t.equal(circuit.retryAfterMs, 0)
  circuit.admit('getOrder')
  t.equal(circuit.state, 'half_open')
  const second = rejection(circuit)
  t.equal(second.failure, 'circuit_open')
  t.equal(second.details.retryAfterMs, 1000)
  t.equal(circuit.retryAfterMs, 0, 'no wait is known while half-open')
  t.same(states, ['open', 'half_open'])
})

t.test('a successful trial closes the circuit', async (t) => {
  const { circuit, clock, states } = setup(1, 100)
  circuit.failed()
  clock.now += 100
  circuit.admit('getOrder')
  circuit.succeeded()
  t.equal(circuit.state, 'closed')
  t.same(states, ['open', 'half_open', 'closed'])
  circuit.admit('getOrder')
  circuit.admit('getOrder')
})

t.test('a failed trial reopens it at once, for a fresh openMs', async (t) => {
  const { circuit, clock, states } = setup(5, 100)
  for (let i = 0; i < 5; i++) circuit.failed()
  clock.now += 150
  circuit.admit('getOrder')
  circuit.failed()
  t.equal(circuit.state, 'open')
  t.equal(circuit.retryAfterMs, 100)
  t.same(states, ['open', 'half_open', 'open'])
  t.equal(rejection(circuit).failure, 'circuit_open')
})

t.test('after a successful trial the failure count starts again from zero', async (t) => {
  const { circuit, clock } = setup(5, 100)
  for (let i = 0; i < 5; i++) circuit.failed()
  clock.now += 100
  circuit.admit('getOrder')
  circuit.succeeded()
  circuit.failed()
  t.equal(circuit.state, 'closed', 'one failure after closing is under the threshold')
})

t.test('abandoned() frees the trial slot without changing state', async (t) => {
  const { circuit, clock, states } = setup(1, 100)
  circuit.failed()
  clock.now += 100
  circuit.admit('getOrder')
  circuit.abandoned()
  t.equal(circuit.state, 'half_open')
  circuit.admit('getOrder')
  t.equal(rejection(circuit).failure, 'circuit_open', 'still one trial at a time')
  t.same(states, ['open', 'half_open'])
})

t.test('abandoned() while closed is harmless', async (t) => {
  const { circuit } = setup(1)
  circuit.admit('getOrder')
  circuit.abandoned()
  t.equal(circuit.state, 'closed')
})

t.test('works without onStateChange and with the real clock', async (t) => {
  const circuit = new CircuitBreaker({ failureThreshold: 1, openMs: 600000 })
  circuit.failed()
  t.equal(circuit.state, 'open')
  t.ok(circuit.retryAfterMs > 0)
  t.throws(() => circuit.admit('getOrder'), { name: 'GootenError', failure: 'circuit_open' })
  circuit.succeeded()
  t.equal(circuit.state, 'closed')
})

t.test('a late failure while open does not extend the pause', async (t) => {
  const { circuit, clock, states } = setup(1, 1000)
  circuit.failed()
  clock.now += 600
  circuit.failed()
  t.equal(circuit.retryAfterMs, 400)
  t.same(states, ['open'])
})
