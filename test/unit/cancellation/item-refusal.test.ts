import t from 'tap'
import { refusalOf } from '../../../src/cancellation/item-refusal.js'
import { pastPreProductionReason } from '../../../src/cancellation/plan.js'
import { REFUSAL_TEXT } from '../../../src/cancellation/reconcile.js'

const failed = (previousStatus: string | null, reason: string) => ({ itemId: 1, result: 'failed' as const, previousStatus, reason })

t.test('each reason a failed item can carry falls in one refusal class', async (t) => {
  t.equal(refusalOf(failed(null, 'The order has no item with this id.')), 'not_in_order')
  t.equal(refusalOf(failed('Shipped', pastPreProductionReason('Shipped'))), 'past_pre_production')
  t.equal(refusalOf(failed('Pending', REFUSAL_TEXT.not_cancellable_now)), 'refused_by_gooten')
  t.equal(refusalOf(failed('New', REFUSAL_TEXT.not_cancellable_status)), 'refused_by_gooten')
  t.equal(refusalOf(failed('New', REFUSAL_TEXT.not_in_order)), 'refused_by_gooten')
  t.equal(refusalOf(failed('New', REFUSAL_TEXT.unrecognised)), 'unknown')
  t.equal(refusalOf(failed('New', REFUSAL_TEXT.unconfirmed)), 'unknown')
})
