import { PROBLEMS, secondsToWait } from '../problems/catalogue.js'
import { ProblemError } from '../problems/problem-error.js'

/** The shared store could not be reached; a cancel must not go ahead without it. */
export class StoreUnavailableError extends ProblemError {
  override name = 'StoreUnavailableError'

  constructor (message: string, answer: { detail: string, retryAfterSeconds?: number } = { detail: PROBLEMS.STORE_UNAVAILABLE.detail.down }) {
    super('STORE_UNAVAILABLE', answer.detail, answer.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: answer.retryAfterSeconds }, message)
  }
}

/**
 * The lock store lost its state (flushed, restarted, failed over) and grants no lock until no
 * cancel sent before the loss can still reach Gooten: a lock-delay, as Chubby's.
 */
export class LockDelayError extends StoreUnavailableError {
  override name = 'LockDelayError'

  constructor (readonly retryAfterMs: number) {
    super('the lock store lost its state; no lock is granted until its lock-delay ends', {
      detail: PROBLEMS.STORE_UNAVAILABLE.detail.lockDelay(secondsToWait(retryAfterMs)),
      retryAfterSeconds: secondsToWait(retryAfterMs)
    })
  }
}

/** For a store write whose failure changes nothing: the key runs out on its own. */
export const ignoreStoreFailure = (): void => {}
