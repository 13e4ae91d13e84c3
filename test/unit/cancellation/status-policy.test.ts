import t from 'tap'
import { classifyStatus, normaliseStatus } from '../../../src/cancellation/status-policy.js'

t.test('normaliseStatus ignores case, spaces, underscores and hyphens', async (t) => {
  t.equal(normaliseStatus('Ready For_Image-Dl'), 'readyforimagedl')
  t.equal(normaliseStatus('  NEW\t'), 'new')
})

t.test('Gooten\'s pre-production list is cancellable, with spelling variants', async (t) => {
  for (const status of [
    'New', 'Hold', 'Pending', 'ReadyForAccounting', 'ReadyForImageDI', 'ReadyForImageDl', 'Ready For Image Dl',
    'NeedsManualApproval', 'NeedsPersonalization', 'NeedsCustomization', 'Needs Customization', 'AccountingIssue',
    'AddressIssue', 'Address Issue', 'ImageIssue', 'HoldByCIImageIssue', 'new', 'HOLD', 'needs_manual_approval'
  ]) {
    t.equal(classifyStatus(status), 'cancellable', status)
  }
})

t.test('cancelled in any spelling', async (t) => {
  for (const status of ['Cancelled', 'Canceled', 'canceled', 'CANCELLED', 'Canceled Refunded', 'CancelledRefunded']) {
    t.equal(classifyStatus(status), 'cancelled', status)
  }
})

t.test('everything else is not cancellable', async (t) => {
  for (const status of ['InProduction', 'In Production', 'Printing', 'Shipped', 'Delivered', 'Test', 'PaymentIssue', 'VendorAPIIssue', 'Billed Refunded', '', 'Newish', 'Cancel']) {
    t.equal(classifyStatus(status), 'not_cancellable', JSON.stringify(status))
  }
})
