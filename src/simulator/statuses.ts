/**
 * The simulator's own model of which Gooten item statuses are still
 * "pre-production" and therefore cancellable. It is deliberately independent
 * of the service's list: the simulator stands in for Gooten.
 *
 * The list is the one on Gooten's cancel documentation page, plus the spellings its other pages
 * and help centre use for two of them (`ReadyForImageDl`, `NeedsCustomization`).
 */
export const CANCELLABLE_STATUSES = [
  'New',
  'Hold',
  'Pending',
  'ReadyForAccounting',
  'ReadyForImageDI',
  'ReadyForImageDl',
  'NeedsManualApproval',
  'NeedsPersonalization',
  'NeedsCustomization',
  'AccountingIssue',
  'AddressIssue',
  'ImageIssue',
  'HoldByCIImageIssue'
] as const

/** Both spellings Gooten uses for the terminal cancelled state. */
export const CANCELLED_STATUSES = ['Cancelled', 'Canceled'] as const

/** What a successful cancel sets the item status to (the API spelling). */
export const CANCELLED = 'Cancelled'

const SEPARATORS = /[\s_-]+/g

/** Lower-case, with spaces, underscores and hyphens removed: `Ready For Image Dl` → `readyforimagedl`. */
export function normaliseStatus (status: string): string {
  return status.replace(SEPARATORS, '').toLowerCase()
}

const cancellable = new Set<string>(CANCELLABLE_STATUSES.map(normaliseStatus))
const cancelled = new Set<string>(CANCELLED_STATUSES.map(normaliseStatus))

export function isCancellableStatus (status: unknown): boolean {
  return typeof status === 'string' && cancellable.has(normaliseStatus(status))
}

export function isCancelledStatus (status: unknown): boolean {
  return typeof status === 'string' && cancelled.has(normaliseStatus(status))
}
