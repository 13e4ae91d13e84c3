import { isCancellableStatus, isCancelledStatus, CANCELLED } from './statuses.js'
import { item, largeOrder, MAX_LARGE_ORDER_ITEMS, order, seedOrders } from './seed.js'
import type { GootenErrorEntry, GootenOrderDocument, GootenOrderItem } from './types.js'

const DIGITS = /^[0-9]{1,15}$/

/** A numeric id given as a string (`"520718"`), or undefined. */
export function numericId (value: string): number | undefined {
  return DIGITS.test(value) ? Number(value) : undefined
}

/** Why `doc` cannot be stored, or undefined when it can. */
export function orderDocumentProblem (doc: unknown): string | undefined {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return 'an order document must be an object'
  const d = doc as Record<string, unknown>
  if (typeof d.Id !== 'string' || d.Id === '') return 'order.Id must be a non-empty string'
  if (d.GootenId !== undefined && !Number.isSafeInteger(d.GootenId)) return 'order.GootenId must be an integer'
  if (!Array.isArray(d.Items) || !d.Items.every(i => typeof i === 'object' && i !== null && !Array.isArray(i))) {
    return 'order.Items must be an array of objects'
  }
  return undefined
}

/** Does this item answer to `id`? Looks in `Id`, `OrderItemId` and `Images[].OrderItemId`. */
function hasId (it: GootenOrderItem, id: number): boolean {
  if (it.Id === id || it.OrderItemId === id) return true
  const images = it.Images
  if (!Array.isArray(images)) return false
  for (const img of images) {
    if (img?.OrderItemId === id) return true
  }
  return false
}

export interface CancelOutcome {
  success: number[]
  errors: GootenErrorEntry[]
  /** How many items changed status. */
  changed: number
}

function refusal (id: number, message: string): GootenErrorEntry {
  return { PropertyName: 'Ids', ErrorMessage: message, AttemptedValue: id, CustomState: null }
}

/**
 * Cancel `ids` in `doc` (mutating it), the way the simulator models Gooten:
 * cancellable → `Cancelled` + Success; already cancelled → per `recancel`;
 * unknown or in any other status → an error entry.
 */
export function cancelInOrder (
  doc: GootenOrderDocument,
  ids: readonly number[],
  recancel: 'success' | 'error',
  refused?: ReadonlySet<number>
): CancelOutcome {
  const out: CancelOutcome = { success: [], errors: [], changed: 0 }
  for (const id of ids) {
    const it = doc.Items.find(i => hasId(i, id))
    if (it === undefined) {
      out.errors.push(refusal(id, `Order item ${id} was not found in order ${doc.GootenId ?? doc.Id}.`))
    } else if (refused?.has(id) === true) {
      out.errors.push(refusal(id, `Order item ${id} cannot be cancelled at this time.`))
    } else if (isCancellableStatus(it.Status)) {
      it.Status = CANCELLED
      out.changed++
      out.success.push(id)
    } else if (isCancelledStatus(it.Status) && recancel === 'success') {
      out.success.push(id)
    } else {
      out.errors.push(refusal(id, `Order item ${id} cannot be cancelled in status ${String(it.Status)}.`))
    }
  }
  return out
}

/** Ids of generated ("fresh") orders: deterministic per store lifetime, reset with it. */
const FRESH_GOOTEN_ID_BASE = 1_000_000
const FRESH_ITEM_ID_BASE = 90_000_000
/** Ids of large orders: the n-th has GootenId 2,000,000 + n and items from 100,000,000 + n × 100,000. */
const LARGE_GOOTEN_ID_BASE = 2_000_000
const LARGE_ITEM_ID_BASE = 100_000_000
const LARGE_ITEM_ID_STRIDE = 100_000

export class OrderStore {
  #bySafeId = new Map<string, GootenOrderDocument>()
  #byGootenId = new Map<number, GootenOrderDocument>()
  /** Safe ids of fresh orders, oldest first (`#freshHead` = first live index). */
  #fresh: string[] = []
  #freshHead = 0
  #freshCount = 0
  #largeCount = 0
  readonly #maxFresh: number

  constructor (maxFreshOrders: number) {
    this.#maxFresh = maxFreshOrders
    this.reset()
  }

  reset (): void {
    this.#bySafeId.clear()
    this.#byGootenId.clear()
    this.#fresh = []
    this.#freshHead = 0
    this.#freshCount = 0
    this.#largeCount = 0
    for (const doc of seedOrders()) this.#put(doc)
  }

  /**
   * Create and store a very large order: `count` `New` items (1 to MAX_LARGE_ORDER_ITEMS), with ids
   * never handed out before in this store's lifetime. Throws a RangeError for any other count.
   */
  large (count: number): GootenOrderDocument {
    if (!Number.isInteger(count) || count < 1 || count > MAX_LARGE_ORDER_ITEMS) {
      throw new RangeError(`items must be an integer from 1 to ${MAX_LARGE_ORDER_ITEMS}`)
    }
    const n = ++this.#largeCount
    const doc = largeOrder(`98-00000000-0000-4000-8000-${String(n).padStart(12, '0')}`, LARGE_GOOTEN_ID_BASE + n, LARGE_ITEM_ID_BASE + n * LARGE_ITEM_ID_STRIDE, count)
    this.#put(doc)
    return doc
  }

  /** Store a deep copy of `doc`, replacing any order with the same `Id` or `GootenId`. */
  add (doc: GootenOrderDocument): void {
    const problem = orderDocumentProblem(doc)
    if (problem !== undefined) throw new TypeError(problem)
    this.#put(structuredClone(doc))
  }

  #put (doc: GootenOrderDocument): void {
    this.#remove(this.#bySafeId.get(doc.Id))
    if (doc.GootenId !== undefined) this.#remove(this.#byGootenId.get(doc.GootenId))
    this.#bySafeId.set(doc.Id, doc)
    if (doc.GootenId !== undefined) this.#byGootenId.set(doc.GootenId, doc)
  }

  #remove (doc: GootenOrderDocument | undefined): void {
    if (doc === undefined) return
    this.#bySafeId.delete(doc.Id)
    if (doc.GootenId !== undefined) this.#byGootenId.delete(doc.GootenId)
  }

  /** The live document for a Safe Order ID or a numeric GootenId given as a string. */
  find (idOrGootenId: string): GootenOrderDocument | undefined {
    const bySafe = this.#bySafeId.get(idOrGootenId)
    if (bySafe !== undefined) return bySafe
    const n = numericId(idOrGootenId)
    return n === undefined ? undefined : this.#byGootenId.get(n)
  }

  byGootenId (gootenId: number): GootenOrderDocument | undefined {
    return this.#byGootenId.get(gootenId)
  }

  get size (): number {
    return this.#bySafeId.size
  }

  /**
   * Create and store a new cancellable order (two `New` items) with ids never
   * handed out before in this store's lifetime. Beyond the cap, the oldest
   * fresh orders are dropped so memory stays bounded.
   */
  fresh (): GootenOrderDocument {
    const n = ++this.#freshCount
    const safeId = `99-00000000-0000-4000-8000-${String(n).padStart(12, '0')}`
    const doc = order(safeId, FRESH_GOOTEN_ID_BASE + n, [
      item(FRESH_ITEM_ID_BASE + 2 * n, 'New'),
      item(FRESH_ITEM_ID_BASE + 2 * n + 1, 'New')
    ])
    this.#put(doc)
    this.#fresh.push(safeId)
    while (this.#fresh.length - this.#freshHead > this.#maxFresh) {
      const oldest = this.#fresh[this.#freshHead++] as string
      this.#remove(this.#bySafeId.get(oldest))
    }
    if (this.#freshHead > 1024 && this.#freshHead * 2 > this.#fresh.length) {
      this.#fresh = this.#fresh.slice(this.#freshHead)
      this.#freshHead = 0
    }
    return doc
  }
}
