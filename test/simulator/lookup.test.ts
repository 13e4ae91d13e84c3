import t from 'tap'
import { startSimulator } from '../../src/simulator/server.js'
import { SEED } from '../../src/simulator/seed.js'
import { GUID, get, ORDERS_PATH, orderUrl, post, raw } from './helpers.js'

const sim = await startSimulator()
t.teardown(() => sim.close())
t.beforeEach(() => sim.reset())

t.test('lookup by Safe Order ID answers the order document', async t => {
  const res = await get(orderUrl(sim, SEED.demo.safeId))
  t.equal(res.status, 200)
  t.equal(res.headers.get('content-type'), 'application/json; charset=utf-8')
  t.equal(res.body.Id, SEED.demo.safeId)
  t.equal(res.body.GootenId, 520718)
  t.equal(res.body.HadError, false)
  t.same(res.body.Items.map((i: any) => [i.Images[0].OrderItemId, i.Status]), [
    [6924457, 'New'], [6924458, 'Hold'], [6924459, 'ReadyForImageDl']
  ])
  for (const key of ['NiceId', 'SourceId', 'Total', 'ShippingTotal', 'ShippingAddress', 'BillingAddress', 'Meta']) {
    t.ok(key in res.body, key)
  }
  const item = res.body.Items[0]
  for (const key of ['Sku', 'ProductId', 'Product', 'Quantity', 'Status', 'SourceId', 'Meta', 'Price', 'Shipments', 'TrackingNumber']) {
    t.ok(key in item, `item.${key}`)
  }
  t.same(Object.keys(item.Price), ['Price', 'CurrencyCode', 'FormattedPrice', 'CurrencyFormat', 'CurrencyDigits'])
  t.notOk('Id' in item, 'the documented shape has no item-level id')
  t.same(sim.calls.map(c => [c.op, c.method, c.path, c.orderId]), [['getOrder', 'GET', ORDERS_PATH, SEED.demo.safeId]])
})

t.test('lookup by numeric GootenId, with and without trailing slash, any path case', async t => {
  const byNumber = await get(orderUrl(sim, SEED.numericOnly.gootenId))
  t.equal(byNumber.status, 200)
  t.equal(byNumber.body.Id, SEED.numericOnly.safeId)
  const slash = await get(`${sim.url}${ORDERS_PATH}/?id=${SEED.demo.gootenId}&recipeid=${sim.recipeId}`)
  t.equal(slash.body.Id, SEED.demo.safeId)
  const upper = await get(`${sim.url}/API/V/5/Source/Api/Orders?id=${SEED.demo.gootenId}&recipeid=${sim.recipeId}`)
  t.equal(upper.status, 200)
  t.equal(sim.callCount('getOrder'), 3)
  t.equal(sim.calls[1]?.path, `${ORDERS_PATH}/`, 'path recorded as sent, without the query')
})

t.test('query parameter names match case-insensitively; values are decoded', async t => {
  for (const params of ['recipeid=sim-recipe-id', 'recipeId=sim-recipe-id', 'RecipeID=sim-recipe-id', 'RECIPEID=sim%2Drecipe%2Did']) {
    const res = await get(`${sim.url}${ORDERS_PATH}?ID=${SEED.demo.gootenId}&${params}&languageCode=en`)
    t.equal(res.status, 200, params)
  }
  const dup = await get(`${sim.url}${ORDERS_PATH}?id=${SEED.demo.gootenId}&recipeid=sim-recipe-id&RecipeId=wrong`)
  t.equal(dup.status, 200, 'the first value of a repeated name wins')
})

t.test('missing or wrong recipeid is 401 with the ASP.NET Message body', async t => {
  for (const url of [`${sim.url}${ORDERS_PATH}?id=${SEED.demo.safeId}`, orderUrl(sim, SEED.demo.safeId, 'recipeid=nope'), `${sim.url}${ORDERS_PATH}`]) {
    const res = await get(url)
    t.equal(res.status, 401)
    t.same(res.body, { Message: 'Authorization has been denied for this request. Invalid recipeId.' })
  }
})

t.test('the billing key is not checked on lookup', async t => {
  const res = await get(orderUrl(sim, SEED.demo.safeId, 'recipeid=sim-recipe-id&partnerBillingKey=wrong'))
  t.equal(res.status, 200)
})

t.test('unknown order: 404 HadError body by default', async t => {
  const res = await get(orderUrl(sim, '13-00000000-0000-0000-0000-000000000000'))
  t.equal(res.status, 404)
  t.equal(res.headers.get('content-type'), 'application/json; charset=utf-8')
  t.equal(res.body.HadError, true)
  t.match(res.body.ErrorReferenceCode, GUID)
  t.same(res.body.Errors, [{ PropertyName: 'Id', ErrorMessage: 'Order not found.', AttemptedValue: '13-00000000-0000-0000-0000-000000000000', CustomState: null }])
  const noId = await get(`${sim.url}${ORDERS_PATH}?recipeid=${sim.recipeId}`)
  t.equal(noId.status, 404)
  t.equal(noId.body.Errors[0].AttemptedValue, '')
  t.equal((await get(orderUrl(sim, '999999'))).status, 404, 'unknown numeric id')
})

t.test('unknown order with notFoundStyle had-error-200', async t => {
  const other = await startSimulator({ notFoundStyle: 'had-error-200' })
  t.teardown(() => other.close())
  const res = await get(orderUrl(other, 'nope'))
  t.equal(res.status, 200)
  t.equal(res.body.HadError, true)
  t.equal(res.body.Errors[0].ErrorMessage, 'Order not found.')
  t.equal((await get(orderUrl(other, SEED.demo.safeId))).status, 200)
})

t.test('the 2016 shape is served as seeded', async t => {
  const res = await get(orderUrl(sim, SEED.oldShape.safeId))
  t.equal(res.status, 200)
  t.notOk('GootenId' in res.body)
  t.notOk('SourceId' in res.body)
  t.equal(res.body.SouceId, `src-${SEED.oldShape.safeId}`)
  t.same(res.body.Items.map((i: any) => [i.Id, i.Status, 'Images' in i]), [[6924520, 'New', false], [6924521, 'Shipped', false]])
})

t.test('any other path is an IIS-style HTML 404, body consumed, recorded as other', async t => {
  const res = await get(`${sim.url}/api/v/5/source/api/orderCancel?orderId=1`)
  t.equal(res.status, 404)
  t.match(res.headers.get('content-type'), /^text\/html/)
  t.ok(res.text.startsWith('<!DOCTYPE html'))
  const withBody = await post(`${sim.url}/nothing/here`, { Ids: [1] })
  t.equal(withBody.status, 404)
  // No prefix matching, and one trailing slash at most.
  for (const path of ['/api/orderCancel/extra', `${ORDERS_PATH}//`, '/api']) {
    t.equal((await raw(`${sim.url}${path}`, { method: 'PUT' })).status, 404, path)
  }
  t.same(sim.calls.map(c => [c.op, c.method, c.path]), [
    ['other', 'GET', '/api/v/5/source/api/orderCancel'],
    ['other', 'POST', '/nothing/here'],
    ['other', 'PUT', '/api/orderCancel/extra'],
    ['other', 'PUT', `${ORDERS_PATH}//`],
    ['other', 'PUT', '/api']
  ])
  t.equal(sim.callCount('other'), 5)
  t.equal(sim.callCount(), 5)
  t.equal(sim.callCount('getOrder'), 0)
})

t.test('a known path with the wrong method is 405 with a Message body', async t => {
  const cases: Array<[string, string]> = [
    ['POST', `${ORDERS_PATH}?id=1`],
    ['GET', '/api/orderCancel?orderId=520718'],
    ['POST', '/api/orderCancel/'],
    ['DELETE', '/API/ORDERCANCEL/']
  ]
  for (const [method, path] of cases) {
    const res = await raw(`${sim.url}${path}`, { method })
    t.equal(res.status, 405, `${method} ${path}`)
    t.same(JSON.parse(res.text), { Message: `The requested resource does not support http method '${method}'.` })
  }
  t.equal(sim.callCount('other'), 4)
  t.equal(sim.callCount('cancelItems'), 0)
})
