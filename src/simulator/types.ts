/**
 * Shapes of the documents the simulator serves, after the response of Gooten's documented
 * get-order call (and its older 2016 variant). Every object also accepts
 * unknown extra fields, because Gooten's real documents carry more than is
 * documented and tests may add odd shapes on purpose.
 */

export interface GootenPrice {
  Price: number
  CurrencyCode: string
  FormattedPrice: string
  CurrencyFormat: string
  CurrencyDigits: number
}

export interface GootenImage {
  SourceUrl?: string
  SpaceId?: string
  ThumbnailUrl?: string
  OrderItemId?: number
  [extra: string]: unknown
}

export interface GootenShipment {
  TrackingNumber: string
  TrackingUrl: string
  ShipCarrierName: string
}

export interface GootenOrderItem {
  Sku?: string
  ProductId?: number
  Product?: string
  Quantity?: number
  /** Per-item status: Gooten keeps status on items, never on the order. Poison seeds hold null or a number. */
  Status?: string | number | null
  SourceId?: string
  Meta?: Record<string, unknown>
  Price?: GootenPrice
  DiscountAmount?: GootenPrice
  Shipments?: GootenShipment[]
  TrackingNumber?: string | null
  TrackingUrl?: string | null
  ShipCarrierName?: string | null
  /** Item-level ids: NOT documented by Gooten, present on some shapes only. */
  Id?: number
  OrderItemId?: number
  /** The documented home of the item id: `Images[].OrderItemId`. */
  Images?: GootenImage[]
  [extra: string]: unknown
}

export interface GootenAddress {
  FirstName: string
  LastName: string
  Line1: string
  Line2?: string | null
  City: string
  State: string
  CountryCode: string
  PostalCode: string
  Phone: string
  Email: string
}

export interface GootenOrderDocument {
  /** Safe Order ID, e.g. `13-f91acc87-bd23-40df-91f4-72dad9a3c971`. */
  Id: string
  NiceId?: string
  SourceId?: string
  /** Numeric order id, the one `orderCancel?orderId=` takes. Absent on the 2016 shape. */
  GootenId?: number
  Items: GootenOrderItem[]
  Total?: GootenPrice
  ShippingTotal?: GootenPrice
  DiscountAmount?: GootenPrice
  ShippingAddress?: GootenAddress
  BillingAddress?: GootenAddress
  Meta?: Record<string, unknown>
  HadError?: boolean
  [extra: string]: unknown
}

/** One FluentValidation-style error entry, as Gooten's `Errors[]` carries them. */
export interface GootenErrorEntry {
  PropertyName: string
  ErrorMessage: string
  AttemptedValue: unknown
  CustomState: null
}
