import t from 'tap'
import { SEED } from '../../src/simulator/seed.js'
import { call, cancelPath, startStack, TEST_BILLING_KEY } from '../helpers/stack.js'

const { demo, mixed, variants, testMode, cancelled, idShapes, oldShape, numericOnly, paymentIssue } = SEED

t.test('cancels pre-production items through one upstream cancel', async (t) => {
  const { url, sim } = await startStack(t)
  const answer = await call(url, cancelPath(demo.safeId), {
    body: { itemIds: [demo.items.new, demo.items.hold], reason: 'customer request' },
    headers: { 'x-request-id': 'req-cancel-1' }
  })
  t.equal(answer.status, 200)
  t.equal(answer.headers.get('x-request-id'), 'req-cancel-1')
  t.same(answer.body, {
    orderId: demo.safeId,
    gootenOrderId: demo.gootenId,
    outcome: 'cancelled',
    items: [
      { itemId: demo.items.new, result: 'cancelled', previousStatus: 'New' },
      { itemId: demo.items.hold, result: 'cancelled', previousStatus: 'Hold' }
    ],
    requestId: 'req-cancel-1'
  })
  t.equal(sim.callCount('cancelItems'), 1)
  t.same(sim.calls.find((c) => c.op === 'cancelItems')?.itemIds, [demo.items.new, demo.items.hold])
  t.equal(sim.order(demo.safeId)?.Items.find((i) => i.Images?.[0]?.OrderItemId === demo.items.new)?.Status, 'Cancelled', 'Gooten now shows the item cancelled')
})

t.test('the credential with + / = reaches Gooten intact (the simulator checks it)', async (t) => {
  t.match(TEST_BILLING_KEY, /[+/=]/)
  const { url, sim } = await startStack(t)
  const answer = await call(url, cancelPath(demo.safeId), { body: { itemIds: [demo.items.readyForImageDl] } })
  t.equal(answer.status, 200)
  t.equal(sim.cancelsApplied, 1)
})

t.test('already cancelled items are reported, not forwarded', async (t) => {
  const { url, sim } = await startStack(t)
  const answer = await call(url, cancelPath(mixed.safeId), { body: { itemIds: [mixed.items.new, mixed.items.cancelled] } })
  t.equal(answer.status, 200)
  t.equal(answer.body.outcome, 'cancelled')
  t.same(answer.body.items, [
    { itemId: mixed.items.new, result: 'cancelled', previousStatus: 'New' },
    { itemId: mixed.items.cancelled, result: 'already_cancelled', previousStatus: 'Cancelled' }
  ])
  t.same(sim.calls.find((c) => c.op === 'cancelItems')?.itemIds, [mixed.items.new], 'only the item that needed it was forwarded')

  const again = await call(url, cancelPath(cancelled.safeId), { body: { itemIds: [cancelled.items.cancelledA, cancelled.items.cancelledB] } })
  t.equal(again.status, 200)
  t.equal(again.body.outcome, 'cancelled')
  t.same(again.body.items?.map((i) => i.result), ['already_cancelled', 'already_cancelled'])
  t.equal(sim.callCount('cancelItems'), 1, 'nothing to forward: no second cancel call')
})

t.test('a second identical cancel finds the items cancelled', async (t) => {
  const { url, sim } = await startStack(t)
  const body = { itemIds: [demo.items.new] }
  t.equal((await call(url, cancelPath(demo.safeId), { body })).body.outcome, 'cancelled')
  const second = await call(url, cancelPath(demo.safeId), { body })
  t.same(second.body.items, [{ itemId: demo.items.new, result: 'already_cancelled', previousStatus: 'Cancelled' }])
  t.equal(sim.callCount('cancelItems'), 1)
})

t.test('partial success: Gooten refuses some items', async (t) => {
  const { url, sim } = await startStack(t)
  sim.enqueueFault({ kind: 'refuse', itemIds: [demo.items.hold] })
  const answer = await call(url, cancelPath(demo.safeId), { body: { itemIds: [demo.items.new, demo.items.hold] } })
  t.equal(answer.status, 200)
  t.equal(answer.body.outcome, 'partially_cancelled')
  t.same(answer.body.items, [
    { itemId: demo.items.new, result: 'cancelled', previousStatus: 'New' },
    { itemId: demo.items.hold, result: 'failed', previousStatus: 'Hold', reason: String(answer.body.items?.[1]?.reason) }
  ])
  t.notMatch(String(answer.body.items?.[1]?.reason), /cannot be cancelled in status/, 'the reason is in our words, not Gooten\'s')
})

t.test('Gooten refusing a Pending item "at this time" is not reported as past pre-production', async (t) => {
  const { url, sim } = await startStack(t)
  sim.enqueueFault({ kind: 'refuse', itemIds: [mixed.items.pending] })
  const answer = await call(url, cancelPath(mixed.safeId), { body: { itemIds: [mixed.items.pending] } })
  t.equal(answer.body.code, 'CANCEL_REJECTED')
  t.same(answer.body.items, [{
    itemId: mixed.items.pending,
    result: 'failed',
    previousStatus: 'Pending',
    reason: 'Gooten refused to cancel the item at this time; a later request may succeed.'
  }])
})

t.test('Gooten refusing every item is CANCEL_REJECTED with each reason', async (t) => {
  const { url, sim } = await startStack(t)
  sim.enqueueFault({ kind: 'refuse', itemIds: [demo.items.new, demo.items.hold] })
  const answer = await call(url, cancelPath(demo.safeId), { body: { itemIds: [demo.items.new, demo.items.hold] } })
  t.equal(answer.status, 422)
  t.equal(answer.headers.get('content-type'), 'application/problem+json; charset=utf-8')
  t.equal(answer.body.code, 'CANCEL_REJECTED')
  t.same(answer.body.items?.map((i) => i.result), ['failed', 'failed'])
  t.ok(answer.body.items?.every((i) => typeof i.reason === 'string'))
  t.equal(sim.callCount('getOrder'), 1)
  t.equal(sim.callCount('cancelItems'), 1)
})

t.test('pre-checks are all-or-nothing and make only the lookup', async (t) => {
  const { url, sim } = await startStack(t)

  const notCancellable = await call(url, cancelPath(mixed.safeId), { body: { itemIds: [mixed.items.new, mixed.items.shipped, mixed.items.inProduction] } })
  t.equal(notCancellable.status, 409)
  t.equal(notCancellable.body.code, 'ITEMS_NOT_CANCELLABLE')
  t.same(notCancellable.body.items?.map((i) => [i.itemId, i.result, i.previousStatus]), [
    [mixed.items.new, 'not_attempted', 'New'],
    [mixed.items.shipped, 'failed', 'Shipped'],
    [mixed.items.inProduction, 'failed', 'InProduction']
  ])

  const notInOrder = await call(url, cancelPath(mixed.safeId), { body: { itemIds: [mixed.items.new, 999] } })
  t.equal(notInOrder.status, 422)
  t.equal(notInOrder.body.code, 'ITEMS_NOT_IN_ORDER')
  t.same(notInOrder.body.items?.find((i) => i.itemId === 999), { itemId: 999, result: 'failed', previousStatus: null, reason: 'The order has no item with this id.' })

  const notFound = await call(url, cancelPath('13-00000000-0000-0000-0000-000000000000'), { body: { itemIds: [1] } })
  t.equal(notFound.status, 404)
  t.equal(notFound.body.code, 'ORDER_NOT_FOUND')

  const testOrder = await call(url, cancelPath(testMode.safeId), { body: { itemIds: [testMode.items.testA] } })
  t.equal(testOrder.status, 409, 'Test is not a pre-production status')

  const payment = await call(url, cancelPath(paymentIssue.safeId), { body: { itemIds: [paymentIssue.items.paymentIssue] } })
  t.equal(payment.status, 409, 'PaymentIssue is not in the cancel list')

  t.equal(sim.callCount('cancelItems'), 0, 'nothing was forwarded')
  t.equal(sim.callCount('getOrder'), 5)
  t.equal(sim.order(mixed.safeId)?.Items[0]?.Status, 'New', 'the cancellable item was left alone')
})

t.test('an unknown order answered as HadError with HTTP 200 is a 404 too', async (t) => {
  const { url } = await startStack(t, { sim: { notFoundStyle: 'had-error-200' } })
  const answer = await call(url, cancelPath('13-00000000-0000-0000-0000-000000000000'), { body: { itemIds: [1] } })
  t.equal(answer.status, 404)
  t.equal(answer.body.code, 'ORDER_NOT_FOUND')
})

t.test('spelling variants of pre-production statuses are cancellable', async (t) => {
  const { url } = await startStack(t)
  const items = variants.items
  const answer = await call(url, cancelPath(variants.safeId), {
    body: { itemIds: [items.readyForImageDI, items.readyForImageDl, items.readyForImageDlSpaced, items.needsPersonalization, items.needsCustomization, items.canceled, items.holdByCIImageIssue, items.needsManualApprovalSnake] }
  })
  t.equal(answer.status, 200)
  t.same(answer.body.items?.map((i) => i.result), ['cancelled', 'cancelled', 'cancelled', 'cancelled', 'cancelled', 'already_cancelled', 'cancelled', 'cancelled'])
})

t.test('item ids are read from every place Gooten puts them', async (t) => {
  const { url } = await startStack(t)
  const items = idShapes.items
  const list = await call(url, `/orders/${idShapes.safeId}/items`)
  t.equal(list.status, 200)
  t.same((list.body.items ?? []).map((i) => i.itemId), [items.imagesOnly, items.itemOrderItemId, items.itemId, items.duplicateImages, null])
  t.equal((list.body.items ?? []).at(-1)?.sku, idShapes.noIdSku)
  const answer = await call(url, cancelPath(idShapes.safeId), { body: { itemIds: [items.imagesOnly, items.itemOrderItemId, items.itemId, items.duplicateImages] } })
  t.equal(answer.status, 200)
  t.equal(answer.body.outcome, 'cancelled')
})

t.test('a numeric GootenId in the path is looked up the same way', async (t) => {
  const { url, sim } = await startStack(t)
  const answer = await call(url, cancelPath(String(numericOnly.gootenId)), { body: { itemIds: [numericOnly.items.new] } })
  t.equal(answer.status, 200)
  t.equal(answer.body.orderId, numericOnly.safeId, 'answers with the Safe Order ID Gooten reports')
  t.equal(sim.calls.find((c) => c.op === 'getOrder')?.orderId, String(numericOnly.gootenId))
  t.equal(sim.calls.find((c) => c.op === 'cancelItems')?.orderId, String(numericOnly.gootenId))
})

t.test('an order document without GootenId cannot be cancelled: 502, no cancel call', async (t) => {
  const { url, sim } = await startStack(t)
  const answer = await call(url, cancelPath(oldShape.safeId), { body: { itemIds: [oldShape.items.new] } })
  t.equal(answer.status, 502)
  t.equal(answer.body.code, 'UPSTREAM_BAD_RESPONSE')
  t.equal(sim.callCount('cancelItems'), 0)
  const list = await call(url, `/orders/${oldShape.safeId}/items`)
  t.equal(list.status, 200, 'the items can still be read')
  t.equal(list.body.gootenOrderId, null)
})

t.test('dry run checks everything and forwards nothing', async (t) => {
  const { url, sim } = await startStack(t)
  const answer = await call(url, cancelPath(mixed.safeId, '?dryRun=true'), { body: { itemIds: [mixed.items.new, mixed.items.cancelled] } })
  t.equal(answer.status, 200)
  t.equal(answer.body.outcome, 'dry_run')
  t.same(answer.body.items?.map((i) => i.result), ['would_cancel', 'already_cancelled'])
  const refused = await call(url, cancelPath(mixed.safeId, '?dryRun=true'), { body: { itemIds: [mixed.items.shipped] } })
  t.equal(refused.status, 409)
  t.equal(sim.callCount('cancelItems'), 0)
  t.equal(sim.order(mixed.safeId)?.Items[0]?.Status, 'New')
  const explicitFalse = await call(url, cancelPath(mixed.safeId, '?dryRun=false'), { body: { itemIds: [mixed.items.new] } })
  t.equal(explicitFalse.body.outcome, 'cancelled')
})

t.test('every cancel writes an audit line with caller, order, items, reason and outcome', async (t) => {
  const { url, logs } = await startStack(t)
  await call(url, cancelPath(demo.safeId), { body: { itemIds: [demo.items.new], reason: 'duplicate order' } })
  await call(url, cancelPath(mixed.safeId), { body: { itemIds: [mixed.items.shipped] } })
  const audits = logs.find('cancel audit')
  t.equal(audits.length, 2)
  t.match(audits[0], { audit: 'cancel', caller: 'anonymous', orderId: demo.safeId, itemIds: [demo.items.new], reason: 'duplicate order', dryRun: false, outcome: 'cancelled' })
  t.match(audits[1], { orderId: mixed.safeId, reason: null, outcome: 'ITEMS_NOT_CANCELLABLE' })
  const finished = logs.find('request finished')
  t.match(finished[0], { method: 'POST', route: '/orders/:orderId/items/cancel', status: 200, caller: 'anonymous' })
  t.type(finished[0]?.ms, 'number')
  t.type(finished[0]?.reqId, 'string')
  t.match(finished[1], { status: 409, code: 'ITEMS_NOT_CANCELLABLE' })
  // One access line carries the request's Gooten calls: no line per call at info.
  t.match(finished[0]?.upstream, [{ op: 'getOrder', status: 200, attempt: 1, outcome: 'ok' }, { op: 'cancelItems', status: 200, attempt: 1, outcome: 'ok' }])
  t.match(finished[1]?.upstream, [{ op: 'getOrder', status: 200, outcome: 'ok' }])
  t.same(logs.find('upstream call'), [])
  t.same(logs.lines.filter((line) => line.level === 30 && line.reqId !== undefined).map((line) => line.msg), ['cancel audit', 'request finished', 'cancel audit', 'request finished'], 'two info lines per cancel: the audit line and the access line')
})
