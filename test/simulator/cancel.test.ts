import t from 'tap'
import { startSimulator } from '../../src/simulator/server.js'
import { SEED } from '../../src/simulator/seed.js'
import { cancel, cancelUrl, creds, get, GUID, orderUrl, put, statusOf } from './helpers.js'

const sim = await startSimulator()
t.teardown(() => sim.close())
t.beforeEach(() => sim.reset())

const { demo, mixed, variants, testMode, shipped, cancelled, idShapes, paymentIssue } = SEED

t.test('cancelling a cancellable item: Success, state persists, counted once', async t => {
  const res = await cancel(sim, demo.gootenId, [demo.items.new])
  t.equal(res.status, 200)
  t.equal(res.headers.get('content-type'), 'application/json; charset=utf-8')
  t.same(res.body, { HadError: false, Errors: [], Success: [demo.items.new] })
  t.equal(sim.cancelsApplied, 1)
  t.equal(statusOf(sim, demo.gootenId, demo.items.new), 'Cancelled')
  t.equal(statusOf(sim, demo.gootenId, demo.items.hold), 'Hold', 'other items untouched')
  const lookup = await get(orderUrl(sim, demo.safeId))
  t.equal(lookup.body.Items[0].Status, 'Cancelled', 'a later lookup shows Cancelled')
  t.same(sim.calls.filter(c => c.op === 'cancelItems').map(c => [c.method, c.path, c.orderId, c.itemIds]), [
    ['PUT', '/api/orderCancel', String(demo.gootenId), [demo.items.new]]
  ])

  const again = await cancel(sim, demo.gootenId, [demo.items.new])
  t.same(again.body, { HadError: false, Errors: [], Success: [demo.items.new] }, 're-cancel listed in Success by default')
  t.equal(sim.cancelsApplied, 1, 'a re-cancel changes nothing')
  t.equal(statusOf(sim, demo.gootenId, demo.items.new), 'Cancelled')
})

t.test('all three demo items at once; duplicates in Ids are folded', async t => {
  const ids = [demo.items.new, demo.items.hold, demo.items.readyForImageDl, demo.items.hold]
  const res = await cancel(sim, demo.gootenId, ids)
  t.same(res.body.Success, [demo.items.new, demo.items.hold, demo.items.readyForImageDl])
  t.equal(sim.cancelsApplied, 1, 'one call, one applied cancel')
})

t.test('mixed order: partial success with FluentValidation-style error entries', async t => {
  const i = mixed.items
  const res = await cancel(sim, mixed.gootenId, [i.new, i.cancelled, i.shipped, i.inProduction, i.pending, 42])
  t.equal(res.status, 200)
  t.equal(res.body.HadError, true)
  t.match(res.body.ErrorReferenceCode, GUID)
  t.same(res.body.Success, [i.new, i.cancelled, i.pending])
  t.same(res.body.Errors, [
    { PropertyName: 'Ids', ErrorMessage: `Order item ${i.shipped} cannot be cancelled in status Shipped.`, AttemptedValue: i.shipped, CustomState: null },
    { PropertyName: 'Ids', ErrorMessage: `Order item ${i.inProduction} cannot be cancelled in status InProduction.`, AttemptedValue: i.inProduction, CustomState: null },
    { PropertyName: 'Ids', ErrorMessage: `Order item 42 was not found in order ${mixed.gootenId}.`, AttemptedValue: 42, CustomState: null }
  ])
  t.equal(statusOf(sim, mixed.gootenId, i.shipped), 'Shipped')
  t.equal(statusOf(sim, mixed.gootenId, i.pending), 'Cancelled')
  t.equal(sim.cancelsApplied, 1)
})

t.test('nothing cancellable: every id refused, nothing applied', async t => {
  const cases: Array<[number, number[], string[]]> = [
    [testMode.gootenId, [testMode.items.testA, testMode.items.testB], ['Test', 'Test']],
    [shipped.gootenId, [shipped.items.shipped, shipped.items.delivered], ['Shipped', 'Delivered']],
    [paymentIssue.gootenId, [paymentIssue.items.paymentIssue], ['PaymentIssue']]
  ]
  for (const [orderId, ids, statuses] of cases) {
    const res = await cancel(sim, orderId, ids)
    t.equal(res.body.HadError, true)
    t.same(res.body.Success, [])
    t.same(res.body.Errors.map((e: any) => e.ErrorMessage), ids.map((id, n) => `Order item ${id} cannot be cancelled in status ${statuses[n] as string}.`))
  }
  t.equal(sim.cancelsApplied, 0)
  const address = await cancel(sim, paymentIssue.gootenId, [paymentIssue.items.addressIssue])
  t.same(address.body.Success, [paymentIssue.items.addressIssue], 'AddressIssue is pre-production')
})

t.test('every spelling variant is cancellable (Canceled counts as already cancelled)', async t => {
  const ids = Object.values(variants.items)
  const res = await cancel(sim, variants.gootenId, ids)
  t.same(res.body, { HadError: false, Errors: [], Success: ids })
  t.equal(statusOf(sim, variants.gootenId, variants.items.canceled), 'Canceled', 'an already-cancelled item keeps its spelling')
  t.equal(statusOf(sim, variants.gootenId, variants.items.readyForImageDlSpaced), 'Cancelled')
})

t.test('item ids are found wherever the order carries them', async t => {
  const ids = Object.values(idShapes.items)
  const res = await cancel(sim, idShapes.gootenId, ids)
  t.same(res.body.Success, ids)
  const doc = sim.order(String(idShapes.gootenId))
  t.same(doc?.Items.map(i => i.Status), ['Cancelled', 'Cancelled', 'Cancelled', 'Cancelled', 'New'], 'the id-less item cannot be reached')
  t.equal(doc?.Items[4]?.Sku, idShapes.noIdSku)
})

t.test('recancel: error mode refuses already-cancelled items', async t => {
  const strict = await startSimulator({ recancel: 'error' })
  t.teardown(() => strict.close())
  const res = await cancel(strict, cancelled.gootenId, [cancelled.items.cancelledA])
  t.equal(res.body.HadError, true)
  t.same(res.body.Success, [])
  t.equal(res.body.Errors[0].ErrorMessage, `Order item ${cancelled.items.cancelledA} cannot be cancelled in status Cancelled.`)
  const canceled = await cancel(strict, variants.gootenId, [variants.items.canceled, variants.items.needsCustomization])
  t.same(canceled.body.Success, [variants.items.needsCustomization])
  t.equal(canceled.body.Errors[0].ErrorMessage, `Order item ${variants.items.canceled} cannot be cancelled in status Canceled.`)
  const fresh = await cancel(strict, demo.gootenId, [demo.items.new])
  t.same(fresh.body.Success, [demo.items.new])
  const twice = await cancel(strict, demo.gootenId, [demo.items.new])
  t.equal(twice.body.HadError, true, 'second cancel of the same item refused')
})

t.test('unknown order on cancel: 404 by default, 200 HadError per notFoundStyle', async t => {
  for (const orderId of [999999, demo.safeId, '']) {
    const res = await cancel(sim, orderId, [1])
    t.equal(res.status, 404, `orderId ${orderId}`)
    t.same(res.body.Errors, [{ PropertyName: 'Id', ErrorMessage: 'Order not found.', AttemptedValue: String(orderId), CustomState: null }])
  }
  const noOrderId = await put(`${sim.url}/api/orderCancel?${creds(sim)}`, [1])
  t.equal(noOrderId.status, 404)
  t.equal(noOrderId.body.Errors[0].AttemptedValue, '')
  t.notOk('orderId' in (sim.calls.at(-1) as object), 'no orderId recorded when none was sent')
  const lenient = await startSimulator({ notFoundStyle: 'had-error-200' })
  t.teardown(() => lenient.close())
  const res = await cancel(lenient, 999999, [1])
  t.equal(res.status, 200)
  t.equal(res.body.HadError, true)
  t.equal(res.body.Errors[0].ErrorMessage, 'Order not found.')
})

t.test('credentials on cancel', async t => {
  const ids = [demo.items.new]
  const noRecipe = await put(`${sim.url}/api/orderCancel?orderId=${demo.gootenId}&partnerBillingKey=${encodeURIComponent(sim.partnerBillingKey)}`, ids)
  t.equal(noRecipe.status, 401)
  t.same(noRecipe.body, { Message: 'Authorization has been denied for this request. Invalid recipeId.' })

  const keyRefusals = [
    'recipeid=sim-recipe-id',
    'recipeid=sim-recipe-id&partnerBillingKey=wrong',
    // A raw "+" decodes as a space: the key no longer matches.
    'recipeid=sim-recipe-id&partnerBillingKey=sim+billing/key=='
  ]
  for (const query of keyRefusals) {
    const res = await put(cancelUrl(sim, demo.gootenId, query), ids)
    t.equal(res.status, 200, query)
    t.equal(res.body.HadError, true)
    t.match(res.body.ErrorReferenceCode, GUID)
    t.same(res.body.Errors, [{ PropertyName: 'PartnerBillingKey', ErrorMessage: 'Invalid partnerBillingKey.', AttemptedValue: '', CustomState: null }])
    t.notMatch(res.text, 'billing', 'the key is never echoed')
  }
  t.equal(sim.cancelsApplied, 0)
  t.equal(statusOf(sim, demo.gootenId, demo.items.new), 'New')

  const encoded = await put(cancelUrl(sim, demo.gootenId, 'RECIPEID=sim-recipe-id&PartnerBillingKey=sim%2Bbilling%2Fkey%3D%3D'), ids)
  t.same(encoded.body.Success, ids, 'percent-encoded + / = decode intact; names any case')
  const upperOrderId = await put(`${sim.url}/api/ordercancel?ORDERID=${demo.gootenId}&${creds(sim)}`, [demo.items.hold])
  t.same(upperOrderId.body.Success, [demo.items.hold])
})

t.test('custom credentials', async t => {
  const custom = await startSimulator({ recipeId: 'r-1', partnerBillingKey: 'a+b/c==' })
  t.teardown(() => custom.close())
  t.equal(custom.recipeId, 'r-1')
  t.equal(custom.partnerBillingKey, 'a+b/c==')
  const ok = await put(cancelUrl(custom, demo.gootenId, 'recipeid=r-1&partnerBillingKey=a%2Bb%2Fc%3D%3D'), [demo.items.new])
  t.same(ok.body.Success, [demo.items.new])
  const defaults = await put(cancelUrl(custom, demo.gootenId, creds(sim)), [demo.items.new])
  t.equal(defaults.status, 401)
})

t.test('bad cancel bodies are 400 "\'Ids\' must not be empty."', async t => {
  const url = cancelUrl(sim, demo.gootenId)
  const json = { 'content-type': 'application/json' }
  const bodies: Array<[string, RequestInit]> = [
    ['not JSON', { headers: json, body: 'Ids=1' }],
    ['no Ids', { headers: json, body: '{}' }],
    ['empty Ids', { headers: json, body: '{"Ids":[]}' }],
    ['non-integer Ids', { headers: json, body: '{"Ids":["6924457"]}' }],
    ['fractional Ids', { headers: json, body: '{"Ids":[1.5]}' }],
    ['JSON null', { headers: json, body: 'null' }],
    ['a bare array', { headers: json, body: `[${demo.items.new}]` }],
    ['no body', { headers: json, body: undefined }],
    ['text/plain JSON', { headers: { 'content-type': 'text/plain' }, body: `{"Ids":[${demo.items.new}]}` }],
    ['no content-type', { headers: {}, body: new TextEncoder().encode(`{"Ids":[${demo.items.new}]}`) }]
  ]
  for (const [name, init] of bodies) {
    const res = await put(url, undefined, { ...init, method: 'PUT' })
    t.equal(res.status, 400, name)
    t.equal(res.body.HadError, true)
    t.same(res.body.Errors, [{ PropertyName: 'Ids', ErrorMessage: "'Ids' must not be empty.", AttemptedValue: null, CustomState: null }])
  }
  t.equal(sim.cancelsApplied, 0)
  t.notOk(sim.calls.some(c => c.itemIds !== undefined), 'no itemIds recorded for invalid bodies')
  const lower = await put(url, undefined, { headers: { 'content-type': 'Application/JSON; charset=utf-8' }, body: `{"ids":[${demo.items.new}]}` })
  t.same(lower.body.Success, [demo.items.new], 'property name matched case-insensitively, as Json.NET binds it')
})

t.test('credentials are checked before the body', async t => {
  const res = await put(cancelUrl(sim, demo.gootenId, 'recipeid=sim-recipe-id'), undefined, { body: 'junk' })
  t.equal(res.body.Errors[0].PropertyName, 'PartnerBillingKey')
})
