import type {
  GootenAddress,
  GootenImage,
  GootenOrderDocument,
  GootenOrderItem,
  GootenPrice
} from './types.js'

/**
 * The seeded orders, by name. Every GootenId and every item id is distinct
 * across the whole seed. Item keys name the item's seeded status.
 */
export const SEED = {
  /** The order of Gooten's own doc example; the demo's printed curl uses it. */
  demo: {
    safeId: '13-f91acc87-bd23-40df-91f4-72dad9a3c971',
    gootenId: 520718,
    items: { new: 6924457, hold: 6924458, readyForImageDl: 6924459 }
  },
  mixed: {
    safeId: '13-0a6e2f5c-1d7b-4c3e-9f10-3b2c1d4e5f01',
    gootenId: 520720,
    items: { new: 6924460, cancelled: 6924461, shipped: 6924462, inProduction: 6924463, pending: 6924464 }
  },
  /** Spelling variants of pre-production (and cancelled) statuses. */
  variants: {
    safeId: '13-0a6e2f5c-1d7b-4c3e-9f10-3b2c1d4e5f02',
    gootenId: 520721,
    items: {
      readyForImageDI: 6924470,
      readyForImageDl: 6924471,
      readyForImageDlSpaced: 6924472,
      needsPersonalization: 6924473,
      needsCustomization: 6924474,
      canceled: 6924475,
      holdByCIImageIssue: 6924476,
      needsManualApprovalSnake: 6924477
    }
  },
  /** An order submitted with IsInTestMode: every item is `Test`. */
  testMode: {
    safeId: '13-0a6e2f5c-1d7b-4c3e-9f10-3b2c1d4e5f03',
    gootenId: 520722,
    items: { testA: 6924480, testB: 6924481 }
  },
  shipped: {
    safeId: '13-0a6e2f5c-1d7b-4c3e-9f10-3b2c1d4e5f04',
    gootenId: 520723,
    items: { shipped: 6924485, delivered: 6924486 }
  },
  cancelled: {
    safeId: '13-0a6e2f5c-1d7b-4c3e-9f10-3b2c1d4e5f05',
    gootenId: 520724,
    items: { cancelledA: 6924490, cancelledB: 6924491 }
  },
  /** Every place an item id may (or may not) live. All items are `New`. */
  idShapes: {
    safeId: '13-0a6e2f5c-1d7b-4c3e-9f10-3b2c1d4e5f06',
    gootenId: 520725,
    items: {
      /** Only in `Images[].OrderItemId` (the documented shape). */
      imagesOnly: 6924500,
      /** Item-level `OrderItemId`, no `Images` key at all. */
      itemOrderItemId: 6924501,
      /** Item-level `Id` (int) and `Images: []`. */
      itemId: 6924502,
      /** Two images carrying the same `OrderItemId`. */
      duplicateImages: 6924503
    },
    /** Sku of the fifth item, which carries no id anywhere (a quirk to tolerate). */
    noIdSku: 'SIM-IDSHAPES-NOID'
  },
  paymentIssue: {
    safeId: '13-0a6e2f5c-1d7b-4c3e-9f10-3b2c1d4e5f07',
    gootenId: 520726,
    items: { paymentIssue: 6924510, addressIssue: 6924511 }
  },
  /** The 2016 shape: no `GootenId`, top-level `SouceId` typo, items with `Id` and no `Images`. */
  oldShape: {
    safeId: '7-73f6321e-5b8a-4f2d-8c3e-6d5a4b3c2d1e',
    gootenId: undefined,
    items: { new: 6924520, shipped: 6924521 }
  },
  /** An order the tests look up by its numeric GootenId. */
  numericOnly: {
    safeId: '13-0a6e2f5c-1d7b-4c3e-9f10-3b2c1d4e5f09',
    gootenId: 520727,
    items: { new: 6924530, hold: 6924531 }
  },
  /** Poison: items whose Status is null, absent, or a number, beside a `New` one. */
  poisonStatus: {
    safeId: '13-0a6e2f5c-1d7b-4c3e-9f10-3b2c1d4e5f10',
    gootenId: 520728,
    items: { nullStatus: 6924540, noStatus: 6924541, numericStatus: 6924542, new: 6924543 }
  },
  /** Poison: one item id listed twice, `New` then `Shipped`, beside a `New` item. */
  duplicateNewFirst: {
    safeId: '13-0a6e2f5c-1d7b-4c3e-9f10-3b2c1d4e5f11',
    gootenId: 520729,
    items: { listedNew: 6924550, listedShipped: 6924550, new: 6924551 }
  },
  /** Poison: one item id listed twice, `Shipped` then `New`, beside a `New` item. */
  duplicateShippedFirst: {
    safeId: '13-0a6e2f5c-1d7b-4c3e-9f10-3b2c1d4e5f12',
    gootenId: 520730,
    items: { listedShipped: 6924560, listedNew: 6924560, new: 6924561 }
  }
} as const

export type SeedName = keyof typeof SEED

export function price (amount: number, currency = 'USD'): GootenPrice {
  return {
    Price: amount,
    CurrencyCode: currency,
    FormattedPrice: `$${amount.toFixed(2)}`,
    CurrencyFormat: '${1}', // eslint-disable-line no-template-curly-in-string -- Gooten's literal format
    CurrencyDigits: 2
  }
}

function address (): GootenAddress {
  return {
    FirstName: 'Ada',
    LastName: 'Lovelace',
    Line1: '1 Simulator Way',
    Line2: null,
    City: 'Testville',
    State: 'NY',
    CountryCode: 'US',
    PostalCode: '10001',
    Phone: '555-0100',
    Email: 'ada@example.invalid'
  }
}

function image (orderItemId: number | undefined, n: number): GootenImage {
  const img: GootenImage = {
    SourceUrl: `https://example.invalid/images/${n}.png`,
    SpaceId: `space-${n}`,
    ThumbnailUrl: `https://example.invalid/images/${n}-thumb.png`
  }
  if (orderItemId !== undefined) img.OrderItemId = orderItemId
  return img
}

/** Where the item id is carried. */
type IdShape = 'images' | 'orderItemId' | 'id' | 'duplicateImages' | 'none'

const SHIPPED_LIKE = new Set(['Shipped', 'Delivered'])

export function item (id: number | undefined, status: string, shape: IdShape = 'images', sku = `SIM-SKU-${String(id)}`): GootenOrderItem {
  const n = id ?? 0
  const out: GootenOrderItem = {
    Sku: sku,
    ProductId: 43,
    Product: 'Canvas Wrap',
    Quantity: 1,
    Status: status,
    SourceId: `src-item-${n}`,
    Meta: {},
    Price: price(12.5),
    DiscountAmount: price(0),
    Shipments: [],
    TrackingNumber: null,
    TrackingUrl: null,
    ShipCarrierName: null
  }
  if (SHIPPED_LIKE.has(status)) {
    const tracking = `1Z${n}`
    out.Shipments = [{ TrackingNumber: tracking, TrackingUrl: `https://example.invalid/track/${tracking}`, ShipCarrierName: 'UPS' }]
    out.TrackingNumber = tracking
    out.TrackingUrl = `https://example.invalid/track/${tracking}`
    out.ShipCarrierName = 'UPS'
  }
  switch (shape) {
    case 'images': out.Images = [image(id, n)]; break
    case 'orderItemId': out.OrderItemId = id; break
    case 'id': out.Id = id; out.Images = []; break
    case 'duplicateImages': out.Images = [image(id, n), image(id, n + 1)]; break
    case 'none': out.Images = [image(undefined, n)]; break
  }
  return out
}

export function order (safeId: string, gootenId: number | undefined, items: GootenOrderItem[]): GootenOrderDocument {
  const doc: GootenOrderDocument = {
    Id: safeId,
    NiceId: `SIM${gootenId ?? safeId.slice(-6)}`,
    SourceId: `src-${safeId}`,
    Items: items,
    Total: price(items.length * 12.5 + 5),
    ShippingTotal: price(5),
    DiscountAmount: price(0),
    ShippingAddress: address(),
    BillingAddress: address(),
    Meta: {},
    HadError: false
  }
  if (gootenId !== undefined) doc.GootenId = gootenId
  return doc
}

function oldShape (): GootenOrderDocument {
  const { safeId, items } = SEED.oldShape
  const toOld = (id: number, status: string): GootenOrderItem => {
    const it = item(id, status, 'id')
    delete it.Images
    delete it.Shipments
    delete it.DiscountAmount
    return it
  }
  const doc = order(safeId, undefined, [toOld(items.new, 'New'), toOld(items.shipped, 'Shipped')])
  delete doc.SourceId
  doc.SouceId = `src-${safeId}`
  return doc
}

/** An item whose Status is null, absent (undefined) or a number: a document the service cannot use. */
function withStatus (id: number, status: null | undefined | number): GootenOrderItem {
  const it = item(id, 'New')
  if (status === undefined) delete it.Status
  else it.Status = status
  return it
}

/** Poison orders: documents Gooten could serve that the service must not guess at. */
function poisonOrders (): GootenOrderDocument[] {
  const { poisonStatus: odd, duplicateNewFirst: newFirst, duplicateShippedFirst: shippedFirst } = SEED
  return [
    order(odd.safeId, odd.gootenId, [
      withStatus(odd.items.nullStatus, null),
      withStatus(odd.items.noStatus, undefined),
      withStatus(odd.items.numericStatus, 3),
      item(odd.items.new, 'New')
    ]),
    order(newFirst.safeId, newFirst.gootenId, [
      item(newFirst.items.listedNew, 'New'),
      item(newFirst.items.listedShipped, 'Shipped'),
      item(newFirst.items.new, 'New')
    ]),
    order(shippedFirst.safeId, shippedFirst.gootenId, [
      item(shippedFirst.items.listedShipped, 'Shipped'),
      item(shippedFirst.items.listedNew, 'New'),
      item(shippedFirst.items.new, 'New')
    ])
  ]
}

/** The largest order `largeOrder` builds: well past what the service reads (6 MiB, some 9,000 items of this shape). */
export const MAX_LARGE_ORDER_ITEMS = 50_000

/** A very large order of `count` `New` items, in Gooten's documented shape (some 0.7 kB an item). */
export function largeOrder (safeId: string, gootenId: number, firstItemId: number, count: number): GootenOrderDocument {
  return order(safeId, gootenId, Array.from({ length: count }, (_, i) => item(firstItemId + i, 'New')))
}

/** Fresh deep copies of every seeded order document (built anew on each call). */
export function seedOrders (): GootenOrderDocument[] {
  const { demo, mixed, variants, testMode, shipped, cancelled, idShapes, paymentIssue, numericOnly } = SEED
  return [
    order(demo.safeId, demo.gootenId, [
      item(demo.items.new, 'New'),
      item(demo.items.hold, 'Hold'),
      item(demo.items.readyForImageDl, 'ReadyForImageDl')
    ]),
    order(mixed.safeId, mixed.gootenId, [
      item(mixed.items.new, 'New'),
      item(mixed.items.cancelled, 'Cancelled'),
      item(mixed.items.shipped, 'Shipped'),
      item(mixed.items.inProduction, 'InProduction'),
      item(mixed.items.pending, 'Pending')
    ]),
    order(variants.safeId, variants.gootenId, [
      item(variants.items.readyForImageDI, 'ReadyForImageDI'),
      item(variants.items.readyForImageDl, 'ReadyForImageDl'),
      item(variants.items.readyForImageDlSpaced, 'Ready For Image Dl'),
      item(variants.items.needsPersonalization, 'NeedsPersonalization'),
      item(variants.items.needsCustomization, 'NeedsCustomization'),
      item(variants.items.canceled, 'Canceled'),
      item(variants.items.holdByCIImageIssue, 'HoldByCIImageIssue'),
      item(variants.items.needsManualApprovalSnake, 'needs_manual_approval')
    ]),
    order(testMode.safeId, testMode.gootenId, [
      item(testMode.items.testA, 'Test'),
      item(testMode.items.testB, 'Test')
    ]),
    order(shipped.safeId, shipped.gootenId, [
      item(shipped.items.shipped, 'Shipped'),
      item(shipped.items.delivered, 'Delivered')
    ]),
    order(cancelled.safeId, cancelled.gootenId, [
      item(cancelled.items.cancelledA, 'Cancelled'),
      item(cancelled.items.cancelledB, 'Cancelled')
    ]),
    order(idShapes.safeId, idShapes.gootenId, [
      item(idShapes.items.imagesOnly, 'New', 'images'),
      item(idShapes.items.itemOrderItemId, 'New', 'orderItemId'),
      item(idShapes.items.itemId, 'New', 'id'),
      item(idShapes.items.duplicateImages, 'New', 'duplicateImages'),
      item(undefined, 'New', 'none', idShapes.noIdSku)
    ]),
    order(paymentIssue.safeId, paymentIssue.gootenId, [
      item(paymentIssue.items.paymentIssue, 'PaymentIssue'),
      item(paymentIssue.items.addressIssue, 'AddressIssue')
    ]),
    oldShape(),
    order(numericOnly.safeId, numericOnly.gootenId, [
      item(numericOnly.items.new, 'New'),
      item(numericOnly.items.hold, 'Hold')
    ]),
    ...poisonOrders()
  ]
}
