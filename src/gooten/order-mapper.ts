import type { OrderDocument, OrderItemDocument } from './schemas.js'
import type { GootenOrder, GootenOrderItem } from './types.js'

export function toId (value: unknown): number | null {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value > 0 ? value : null
  if (typeof value === 'string' && /^[0-9]{1,15}$/.test(value)) return toId(Number(value))
  return null
}

/** Gooten names an item's id in several places; the documented one is Images[].OrderItemId. */
function itemIdOf (item: OrderItemDocument): number | null {
  const direct = toId(item.OrderItemId)
  if (direct !== null) return direct
  for (const image of item.Images ?? []) {
    const fromImage = toId(image.OrderItemId)
    if (fromImage !== null) return fromImage
  }
  return toId(item.Id)
}

function toItem (item: OrderItemDocument): GootenOrderItem {
  return {
    itemId: itemIdOf(item),
    sku: item.Sku ?? null,
    quantity: typeof item.Quantity === 'number' ? item.Quantity : null,
    status: item.Status
  }
}

export function toOrder (document: OrderDocument): GootenOrder {
  return {
    safeId: typeof document.Id === 'string' && document.Id !== '' ? document.Id : null,
    gootenId: toId(document.GootenId),
    items: document.Items.map(toItem)
  }
}
