import t from 'tap'
import { CANCELLABLE_STATUSES, isCancellableStatus, isCancelledStatus, normaliseStatus } from '../../src/simulator/statuses.js'

t.test('the pre-production list, any case, spaces, underscores or hyphens', async t => {
  for (const status of CANCELLABLE_STATUSES) t.ok(isCancellableStatus(status), status)
  for (const status of ['new', 'HOLD', 'Ready For Image Dl', 'ready_for_image_di', 'needs-manual-approval', 'Needs Customization', 'Hold By CI Image Issue']) {
    t.ok(isCancellableStatus(status), status)
  }
  for (const status of ['Shipped', 'Delivered', 'InProduction', 'Test', 'PaymentIssue', 'Cancelled', 'Canceled', '', 'NewX']) {
    t.notOk(isCancellableStatus(status), status)
  }
  t.notOk(isCancellableStatus(undefined))
  t.notOk(isCancellableStatus(1))
  t.equal(normaliseStatus(' Ready  For_Image-Dl '), 'readyforimagedl')
})

t.test('cancelled in both spellings', async t => {
  for (const status of ['Cancelled', 'Canceled', 'cancelled', 'CANCELED']) t.ok(isCancelledStatus(status), status)
  for (const status of ['Cancel', 'CanceledRefunded', 'New']) t.notOk(isCancelledStatus(status), status)
  t.notOk(isCancelledStatus(null))
})
