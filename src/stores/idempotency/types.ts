/** An answer kept for replay under an Idempotency-Key. */
export interface StoredAnswer {
  status: number
  contentType: string
  body: string
}

export type IdempotencyClaim =
  | { kind: 'claimed', token: string } // first of its kind: go ahead, then complete or release
  | { kind: 'in_progress' } // the same key is being processed right now
  | { kind: 'mismatch' } // the key was used for a different request
  | { kind: 'replay', answer: StoredAnswer } // already answered: send this again

export interface IdempotencyStore {
  claim: (key: string, fingerprint: string) => Promise<IdempotencyClaim>
  complete: (key: string, token: string, answer: StoredAnswer) => Promise<void>
  /** Gives the key back (the attempt ended in a way worth retrying). */
  release: (key: string, token: string) => Promise<void>
}

/** How long a completed answer is replayed, as Stripe and the IETF draft suggest. */
export const ANSWER_TTL_MS = 24 * 60 * 60 * 1000

/** The shared store could not be reached; a cancel must not go ahead without it. */
export class StoreUnavailableError extends Error {
  override name = 'StoreUnavailableError'
}
