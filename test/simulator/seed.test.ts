import t from 'tap'
import { largeOrder, SEED, seedOrders } from '../../src/simulator/seed.js'
import type { GootenOrderItem } from '../../src/simulator/types.js'

const SAFE_ID = /^\d+-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

function idsOf (it: GootenOrderItem): number[] {
  const ids = new Set<number>()
  if (it.Id !== undefined) ids.add(it.Id)
  if (it.OrderItemId !== undefined) ids.add(it.OrderItemId)
  for (const img of it.Images ?? []) if (img.OrderItemId !== undefined) ids.add(img.OrderItemId)
  return [...ids]
}

t.test('every seed is served, with distinct safe ids, GootenIds and item ids', async t => {
  const docs = seedOrders()
  t.equal(docs.length, Object.keys(SEED).length)
  const gootenIds = docs.flatMap(d => d.GootenId === undefined ? [] : [d.GootenId])
  t.equal(new Set(gootenIds).size, gootenIds.length)
  t.equal(new Set(docs.map(d => d.Id)).size, docs.length)
  // Each order's ids once: the duplicate poison orders list one id twice on purpose.
  const itemIds = docs.flatMap(d => [...new Set(d.Items.flatMap(idsOf))])
  t.equal(new Set(itemIds).size, itemIds.length, 'no item id appears in two orders')
  for (const [name, seed] of Object.entries(SEED)) {
    const doc = docs.find(d => d.Id === seed.safeId)
    t.ok(doc, name)
    t.match(seed.safeId, SAFE_ID, `${name} safe id`)
    t.equal(doc?.GootenId, seed.gootenId, `${name} GootenId`)
    t.same(doc?.Items.flatMap(idsOf), Object.values(seed.items), `${name} item ids in order`)
    t.equal(doc?.HadError, false)
  }
})

t.test('statuses as specified', async t => {
  const docs = seedOrders()
  const statuses = (name: keyof typeof SEED): unknown[] => docs.find(d => d.Id === SEED[name].safeId)?.Items.map(i => i.Status) ?? []
  t.same(statuses('demo'), ['New', 'Hold', 'ReadyForImageDl'])
  t.same(statuses('mixed'), ['New', 'Cancelled', 'Shipped', 'InProduction', 'Pending'])
  t.same(statuses('variants'), ['ReadyForImageDI', 'ReadyForImageDl', 'Ready For Image Dl', 'NeedsPersonalization', 'NeedsCustomization', 'Canceled', 'HoldByCIImageIssue', 'needs_manual_approval'])
  t.same(statuses('testMode'), ['Test', 'Test'])
  t.same(statuses('shipped'), ['Shipped', 'Delivered'])
  t.same(statuses('cancelled'), ['Cancelled', 'Cancelled'])
  t.same(statuses('idShapes'), ['New', 'New', 'New', 'New', 'New'])
  t.same(statuses('paymentIssue'), ['PaymentIssue', 'AddressIssue'])
  t.same(statuses('oldShape'), ['New', 'Shipped'])
  t.same(statuses('numericOnly'), ['New', 'Hold'])
  t.same(statuses('poisonStatus'), [null, undefined, 3, 'New'])
  t.same(statuses('duplicateNewFirst'), ['New', 'Shipped', 'New'])
  t.same(statuses('duplicateShippedFirst'), ['Shipped', 'New', 'New'])
})

t.test('poison orders: odd statuses, and one id listed twice with different statuses', async t => {
  const docs = seedOrders()
  const odd = docs.find(d => d.Id === SEED.poisonStatus.safeId)
  t.ok(odd !== undefined && 'Status' in (odd.Items[0] ?? {}) && !('Status' in (odd.Items[1] ?? {})), 'null, then absent')
  for (const name of ['duplicateNewFirst', 'duplicateShippedFirst'] as const) {
    const doc = docs.find(d => d.Id === SEED[name].safeId)
    t.same(doc?.Items.slice(0, 2).flatMap(idsOf), [SEED[name].items.listedNew, SEED[name].items.listedNew], `${name} lists one id twice`)
  }
})

t.test('a large order: as many New items as asked, some 0.6 kB each', async t => {
  const doc = largeOrder('98-00000000-0000-4000-8000-000000000001', 2_000_001, 100_000_000, 5000)
  t.equal(doc.Items.length, 5000)
  t.ok(doc.Items.every(i => i.Status === 'New'))
  t.same(doc.Items.slice(0, 2).flatMap(idsOf), [100_000_000, 100_000_001])
  const bytes = Buffer.byteLength(JSON.stringify(doc))
  t.ok(bytes > 3_000_000 && bytes < 4_000_000, `${bytes} bytes`)
})

t.test('id shapes', async t => {
  const doc = seedOrders().find(d => d.Id === SEED.idShapes.safeId)
  const [imagesOnly, itemOrderItemId, itemId, duplicateImages, noId] = doc?.Items ?? []
  t.same(imagesOnly?.Images?.map(i => i.OrderItemId), [SEED.idShapes.items.imagesOnly])
  t.notOk(imagesOnly && ('Id' in imagesOnly || 'OrderItemId' in imagesOnly))
  t.equal(itemOrderItemId?.OrderItemId, SEED.idShapes.items.itemOrderItemId)
  t.notOk(itemOrderItemId && 'Images' in itemOrderItemId)
  t.equal(itemId?.Id, SEED.idShapes.items.itemId)
  t.same(itemId?.Images, [])
  t.same(duplicateImages?.Images?.map(i => i.OrderItemId), [SEED.idShapes.items.duplicateImages, SEED.idShapes.items.duplicateImages])
  t.equal(noId?.Sku, SEED.idShapes.noIdSku)
  t.same(noId && idsOf(noId), [])
})

t.test('shipped items carry shipments; others do not', async t => {
  const doc = seedOrders().find(d => d.Id === SEED.shipped.safeId)
  t.equal(doc?.Items[0]?.Shipments?.length, 1)
  t.equal(doc?.Items[0]?.TrackingNumber, `1Z${SEED.shipped.items.shipped}`)
  const demo = seedOrders().find(d => d.Id === SEED.demo.safeId)
  t.same(demo?.Items[0]?.Shipments, [])
  t.equal(demo?.Items[0]?.TrackingNumber, null)
})

t.test('each call returns fresh copies', async t => {
  const a = seedOrders()
  const b = seedOrders()
  t.same(a, b)
  ;(a[0]?.Items[0] as GootenOrderItem).Status = 'Shipped'
  t.equal(b[0]?.Items[0]?.Status, 'New')
  t.not(a[0]?.ShippingAddress, b[0]?.ShippingAddress)
})
