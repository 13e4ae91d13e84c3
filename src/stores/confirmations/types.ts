/** What a preview promised: the one cancel its confirmation may run, for whom, and until when. */
export interface ConfirmationRecord {
  caller: string
  /** The person the preview was shown for (a token's `sub`); null for a caller key. */
  subject: string | null
  orderId: string
  itemIds: number[]
  /** Epoch milliseconds, by the clock of the replica that issued it. */
  expiresAt: number
}

/**
 * Confirmations issued by previews, by an opaque key (a hash of the confirmation, never the
 * confirmation itself). Single use is not this store's job: the idempotency store's atomic claim
 * decides which confirm runs.
 */
export interface ConfirmationStore {
  /** Keeps the record for `keepMs` (longer than its validity, so a used one can still be replayed). */
  issue: (key: string, record: ConfirmationRecord, keepMs: number) => Promise<void>
  read: (key: string) => Promise<ConfirmationRecord | undefined>
}
