import t from 'tap'
import { GootenError, type GootenFailure } from '../../../src/gooten/errors.js'

t.test('mayHaveReachedGooten: unless the call provably never left, or was never made', async (t) => {
  const reached: GootenFailure[] = ['not_found', 'bad_response', 'credentials_refused', 'unavailable', 'connection_failed', 'timeout']
  for (const failure of reached) {
    t.equal(new GootenError(failure, 'cancelItems', 'x').mayHaveReachedGooten, true, failure)
    t.equal(new GootenError(failure, 'cancelItems', 'x', { neverSent: false }).mayHaveReachedGooten, true, `${failure}, neverSent false`)
    t.equal(new GootenError(failure, 'cancelItems', 'x', { neverSent: true }).mayHaveReachedGooten, false, `${failure}, neverSent`)
  }
  t.equal(new GootenError('circuit_open', 'cancelItems', 'x').mayHaveReachedGooten, false)
  t.equal(new GootenError('overloaded', 'cancelItems', 'x').mayHaveReachedGooten, false)
})
