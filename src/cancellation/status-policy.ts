/** Gooten's status names, compared without regard to case, spaces, underscores or hyphens. */
export function normaliseStatus (status: string): string {
  return status.toLowerCase().replace(/[\s_-]+/g, '')
}

/**
 * The pre-production statuses, whose items can be cancelled: Gooten's list from its cancel page,
 * plus the spellings other pages use (ReadyForImageDI / ReadyForImageDl, NeedsPersonalization /
 * NeedsCustomization). The OpenAPI document lists them from here.
 */
export const CANCELLABLE_STATUSES = [
  'New', 'Hold', 'Pending', 'ReadyForAccounting', 'ReadyForImageDI', 'ReadyForImageDl',
  'NeedsManualApproval', 'NeedsPersonalization', 'NeedsCustomization', 'AccountingIssue',
  'AddressIssue', 'ImageIssue', 'HoldByCIImageIssue'
] as const

/** The API writes Cancelled, the admin UI Canceled; refunded cancellations are cancelled too. */
export const CANCELLED_STATUSES = ['Cancelled', 'Canceled', 'CanceledRefunded', 'CancelledRefunded'] as const

const CANCELLABLE = new Set(CANCELLABLE_STATUSES.map(normaliseStatus))
const CANCELLED = new Set(CANCELLED_STATUSES.map(normaliseStatus))

export type StatusClass = 'cancellable' | 'cancelled' | 'not_cancellable'

export function classifyStatus (status: string): StatusClass {
  const normalised = normaliseStatus(status)
  if (CANCELLABLE.has(normalised)) return 'cancellable'
  if (CANCELLED.has(normalised)) return 'cancelled'
  return 'not_cancellable'
}
