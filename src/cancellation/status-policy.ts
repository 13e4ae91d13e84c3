/** Gooten's status names, compared without regard to case, spaces, underscores or hyphens. */
export function normaliseStatus (status: string): string {
  return status.toLowerCase().replace(/[\s_-]+/g, '')
}

// Gooten's pre-production list from its cancel page, plus the spellings other pages use:
// ReadyForImageDI / ReadyForImageDl, NeedsPersonalization / NeedsCustomization.
const CANCELLABLE = new Set([
  'New', 'Hold', 'Pending', 'ReadyForAccounting', 'ReadyForImageDI', 'ReadyForImageDl',
  'NeedsManualApproval', 'NeedsPersonalization', 'NeedsCustomization', 'AccountingIssue',
  'AddressIssue', 'ImageIssue', 'HoldByCIImageIssue'
].map(normaliseStatus))

// The API writes Cancelled, the admin UI Canceled; refunded cancellations are cancelled too.
const CANCELLED = new Set(['Cancelled', 'Canceled', 'CanceledRefunded', 'CancelledRefunded'].map(normaliseStatus))

export type StatusClass = 'cancellable' | 'cancelled' | 'not_cancellable'

export function classifyStatus (status: string): StatusClass {
  const normalised = normaliseStatus(status)
  if (CANCELLABLE.has(normalised)) return 'cancellable'
  if (CANCELLED.has(normalised)) return 'cancelled'
  return 'not_cancellable'
}
