import { PROBLEMS } from '../problems/catalogue.js'
import { ProblemError } from '../problems/problem-error.js'

/** The shared store could not be reached; a cancel must not go ahead without it. */
export class StoreUnavailableError extends ProblemError {
  override name = 'StoreUnavailableError'

  constructor (message: string) {
    super('STORE_UNAVAILABLE', PROBLEMS.STORE_UNAVAILABLE.detail.down, {}, message)
  }
}
