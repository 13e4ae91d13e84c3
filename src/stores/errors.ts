/** The shared store could not be reached; a cancel must not go ahead without it. */
export class StoreUnavailableError extends Error {
  override name = 'StoreUnavailableError'
}
