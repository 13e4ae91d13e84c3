import t from 'tap'
import { GootenError, type GootenFailure } from '../../../src/gooten/errors.js'

t.test('mayHaveReachedGooten', async (t) => {
  const reached: GootenFailure[] = ['not_found', 'bad_response', 'credentials_refused', 'unavailable', 'connection_failed', 'timeout']
  for (const failure of reached) {
    t.equal(new GootenError(failure, 'cancelItems', 'x').mayHaveReachedGooten, true, failure)
    t.equal(new GootenError(failure, 'cancelItems', 'x', { neverSent: false }).mayHaveReachedGooten, true, `${failure}, neverSent false`)
    t.equal(new GootenError(failure, 'cancelItems', 'x', { neverSent: true }).mayHaveReachedGooten, false, `${failure}, neverSent`)
  }
  t.equal(new GootenError('circuit_open', 'cancelItems', 'x').mayHaveReachedGooten, false)
  t.equal(new GootenError('overloaded', 'cancelItems', 'x').mayHaveReachedGooten, false)
})

t.test('an ordinary Error with our fields', async (t) => {
  const error = new GootenError('unavailable', 'getOrder', 'Gooten answered HTTP 503', { status: 503, retryAfterMs: 1000 })
  t.ok(error instanceof Error)
  t.equal(error.name, 'GootenError')
  t.equal(error.message, 'Gooten answered HTTP 503')
  t.equal(error.op, 'getOrder')
  t.same(error.details, { status: 503, retryAfterMs: 1000 })
  t.same(new GootenError('timeout', 'getOrder', 'x').details, {}, 'details default to none')
})
