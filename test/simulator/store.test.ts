import t from 'tap'
import { cancelInOrder, numericId, OrderStore, orderDocumentProblem } from '../../src/simulator/store.js'
import { seedOrders } from '../../src/simulator/seed.js'

t.test('orderDocumentProblem', async t => {
  const cases: Array<[unknown, string | undefined]> = [
    [null, 'an order document must be an object'],
    [[], 'an order document must be an object'],
    ['x', 'an order document must be an object'],
    [{ Items: [] }, 'order.Id must be a non-empty string'],
    [{ Id: '', Items: [] }, 'order.Id must be a non-empty string'],
    [{ Id: 'a', GootenId: '1', Items: [] }, 'order.GootenId must be an integer'],
    [{ Id: 'a', GootenId: 1.5, Items: [] }, 'order.GootenId must be an integer'],
    [{ Id: 'a' }, 'order.Items must be an array of objects'],
    [{ Id: 'a', Items: [1] }, 'order.Items must be an array of objects'],
    [{ Id: 'a', Items: [null] }, 'order.Items must be an array of objects'],
    [{ Id: 'a', Items: [[]] }, 'order.Items must be an array of objects'],
    [{ Id: 'a', GootenId: 1, Items: [{}] }, undefined]
  ]
  for (const [doc, problem] of cases) t.equal(orderDocumentProblem(doc), problem, JSON.stringify(doc))
})

t.test('numericId', async t => {
  t.equal(numericId('520718'), 520718)
  t.equal(numericId('0520718'), 520718)
  for (const s of ['', '-1', '1.0', '1e3', ' 1', '13-f91acc87', '1234567890123456']) t.equal(numericId(s), undefined, JSON.stringify(s))
})

t.test('fresh orders are capped; the index compacts', async t => {
  const store = new OrderStore(1)
  const seeds = seedOrders().length
  t.equal(store.size, seeds)
  const first = store.fresh()
  let last = first
  for (let i = 0; i < 1100; i++) last = store.fresh()
  t.equal(store.size, seeds + 1)
  t.equal(store.find(first.Id), undefined)
  t.equal(store.find(last.Id), last)
  t.equal(store.byGootenId(last.GootenId as number), last)
  store.reset()
  t.equal(store.size, seeds)
})

t.test('items with odd shapes are tolerated when cancelling', async t => {
  const store = new OrderStore(10)
  store.add({ Id: 'x', GootenId: 5, Items: [{ Status: 'New', Images: [null as never, {}] }, { Status: 'New', Images: 'no' as never }, { Id: 7 }] })
  const doc = store.byGootenId(5)
  t.ok(doc)
  const out = cancelInOrder(doc as never, [7, 8], 'success')
  t.same(out.success, [])
  t.same(out.errors.map(e => e.ErrorMessage), ['Order item 7 cannot be cancelled in status undefined.', 'Order item 8 was not found in order 5.'])
  const noGootenId = { Id: '9-x', Items: [] }
  t.equal(cancelInOrder(noGootenId, [1], 'success').errors[0]?.ErrorMessage, 'Order item 1 was not found in order 9-x.')
})
