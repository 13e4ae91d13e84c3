import t from 'tap'
import { toId, toOrder } from '../../../src/gooten/order-mapper.js'
import type { OrderDocument } from '../../../src/gooten/schemas.js'

t.test('toId', async (t) => {
  const ids: Array<[number | string, number, string]> = [
    [6924457, 6924457, 'a number'],
    [1, 1, 'the smallest id'],
    [Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, 'the largest safe integer'],
    ['6924457', 6924457, 'a numeric string'],
    ['000000000000042', 42, 'leading zeros are digits too']
  ]
  for (const [value, expected, label] of ids) t.equal(toId(value), expected, label)
  for (const value of [0, -5, 1.5, Number.MAX_SAFE_INTEGER + 1, Number.NaN, Infinity, '0', '-5', '1.5', '1e3', ' 42', '', '1234567890123456', null, undefined, {}, [42], true]) {
    t.equal(toId(value), null, `${typeof value} ${String(value)}`)
  }
})

const item = (extra: Partial<OrderDocument['Items'][number]>): OrderDocument['Items'][number] => ({ Status: 'New', ...extra })

t.test('toOrder', async (t) => {
  t.test('ids, sku, quantity and status are read', async (t) => {
    const order = toOrder({
      Id: '13-abc',
      GootenId: 520718,
      Items: [{ Status: 'New', Sku: 'S-1', Quantity: 3, Images: [{ OrderItemId: 11 }] }]
    })
    t.same(order, { safeId: '13-abc', gootenId: 520718, items: [{ itemId: 11, sku: 'S-1', quantity: 3, status: 'New' }] })
  })

  t.test('where the item id comes from', async (t) => {
    const ids = (items: Array<OrderDocument['Items'][number]>): Array<number | null> =>
      toOrder({ Items: items }).items.map((i) => i.itemId)
    t.same(ids([item({ Images: [{ OrderItemId: 11 }] })]), [11], 'Images only')
    t.same(ids([item({ Images: [{}, { OrderItemId: null }, { OrderItemId: '12' }] })]), [12], 'the first image that names one')
    t.same(ids([item({ OrderItemId: 21 })]), [21], 'item-level OrderItemId')
    t.same(ids([item({ OrderItemId: '22', Images: [{ OrderItemId: 99 }] })]), [22], 'item-level OrderItemId comes first')
    t.same(ids([item({ Id: 31 })]), [31], 'item-level Id')
    t.same(ids([item({ Id: '32' })]), [32], 'item-level Id as a numeric string')
    t.same(ids([item({ Id: 33, Images: [{ OrderItemId: 34 }] })]), [34], 'Images before Id')
    t.same(ids([item({ OrderItemId: 0, Images: [{ OrderItemId: -1 }], Id: 35 })]), [35], 'unusable ids are skipped')
    t.same(ids([item({ Id: 'abc' })]), [null], 'a non-numeric Id')
    t.same(ids([item({ Id: 2 ** 60 })]), [null], 'an unsafe number')
    t.same(ids([item({ Images: null })]), [null], 'no id anywhere')
    t.same(ids([item({})]), [null])
  })

  t.test('sku and quantity may be missing', async (t) => {
    t.same(toOrder({ Items: [item({ Sku: null, Quantity: null })] }).items, [{ itemId: null, sku: null, quantity: null, status: 'New' }])
    t.same(toOrder({ Items: [item({})] }).items, [{ itemId: null, sku: null, quantity: null, status: 'New' }])
  })

  t.test('safe id and GootenId', async (t) => {
    t.equal(toOrder({ Items: [] }).safeId, null, 'absent')
    t.equal(toOrder({ Id: null, Items: [] }).safeId, null, 'null')
    t.equal(toOrder({ Id: '', Items: [] }).safeId, null, 'empty')
    t.equal(toOrder({ Id: 520718, Items: [] }).safeId, null, 'a number is no Safe Order ID')
    t.equal(toOrder({ Items: [] }).gootenId, null)
    t.equal(toOrder({ GootenId: '520718', Items: [] }).gootenId, 520718)
    t.equal(toOrder({ GootenId: 0, Items: [] }).gootenId, null)
    t.same(toOrder({ Items: [] }).items, [])
  })
})
