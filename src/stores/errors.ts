/** The shared store could not be reached; a cancel must not go ahead without it. */
export class StoreUnavailableError extends Error {
  override name = 'StoreUnavailableError'
}

/**
 * The lock store lost its state (flushed, restarted, failed over) and grants no lock until no
 * cancel sent before the loss can still reach Gooten: a lock-delay, as Chubby's.
 */
export class LockDelayError extends StoreUnavailableError {
  override name = 'LockDelayError'

  constructor (readonly retryAfterMs: number) {
    super('the lock store lost its state; no lock is granted until its lock-delay ends')
  }
}

/** For a store write whose failure changes nothing: the key runs out on its own. */
export const ignoreStoreFailure = (): void => {}
