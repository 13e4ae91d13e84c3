/** An answer kept for replay under an Idempotency-Key. */
export interface StoredAnswer {
  status: number
  contentType: string
  body: string
}

/** A key this request holds until it completes or releases it. */
export interface HeldClaim {
  key: string
  token: string
  fingerprint: string
}

export type ClaimOutcome =
  | { kind: 'claimed', claim: HeldClaim } // first of its kind: go ahead, then complete or release
  | { kind: 'in_progress' } // the same key is being processed right now
  | { kind: 'mismatch' } // the key was used for a different request
  | { kind: 'replay', answer: StoredAnswer } // already answered: send this again

export interface IdempotencyStore {
  claim: (key: string, fingerprint: string) => Promise<ClaimOutcome>
  /** Keeps the answer for replay for `ttlMs`, if the claim still holds the key. */
  complete: (claim: HeldClaim, answer: StoredAnswer, ttlMs: number) => Promise<void>
  /** Gives the key back (the attempt ended in a way worth retrying). */
  release: (claim: HeldClaim) => Promise<void>
}

/** How long a completed answer is replayed, as Stripe and the IETF draft suggest. */
export const ANSWER_TTL_MS = 24 * 60 * 60 * 1000

/**
 * How long a 4xx answer is replayed. Nothing was cancelled, so a retry after it would change
 * nothing either; an hour covers any client's retries, and bounds what a caller can make the
 * store keep by sending refused requests under new keys (docs/reliability.md).
 */
export const ERROR_ANSWER_TTL_MS = 60 * 60 * 1000
