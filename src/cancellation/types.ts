import { Type, type Static } from '@sinclair/typebox'

/** A string enum as one `enum` keyword, which reads better in OpenAPI than TypeBox's anyOf of literals. */
export const StringEnum = <T extends string[]>(values: [...T], options: { description?: string } = {}) =>
  Type.Unsafe<T[number]>({ type: 'string', enum: values, ...options })

// The domain's results as schemas: the types below derive from them, and the HTTP answers reuse them.

export const ItemResultSchema = Type.Object({
  itemId: Type.Integer(),
  result: StringEnum([
    'cancelled',
    'already_cancelled',
    'failed',
    'would_cancel',
    'not_attempted', // a pre-check failed for another item, so nothing was forwarded
    'unknown' // the cancel call's effect could not be confirmed
  ]),
  previousStatus: Type.Union([Type.String(), Type.Null()], { description: 'Gooten status before this request, as Gooten spells it; null when the item is not in the order, or the order lists it more than once with different statuses.' }),
  reason: Type.Optional(Type.String({ description: 'Why, in our words (failed, not_attempted, unknown).' }))
}, { $id: 'ItemResult', title: 'ItemResult', additionalProperties: false })
export type ItemResult = Static<typeof ItemResultSchema>

export const CancelOutcomeSchema = Type.Object({
  orderId: Type.String(),
  gootenOrderId: Type.Integer(),
  outcome: StringEnum(['cancelled', 'partially_cancelled', 'dry_run']),
  items: Type.Array(Type.Ref(ItemResultSchema))
})
export type CancelOutcome = Omit<Static<typeof CancelOutcomeSchema>, 'items'> & { items: ItemResult[] }
export type CancelOutcomeKind = CancelOutcome['outcome']

export const OrderViewSchema = Type.Object({
  orderId: Type.String(),
  gootenOrderId: Type.Union([Type.Integer(), Type.Null()]),
  items: Type.Array(Type.Object({
    itemId: Type.Union([Type.Integer(), Type.Null()], { description: 'null when Gooten names no id for the item.' }),
    sku: Type.Union([Type.String(), Type.Null()]),
    quantity: Type.Union([Type.Number(), Type.Null()]),
    status: Type.String({ description: 'Gooten status, as Gooten spells it.' }),
    cancellable: Type.Boolean()
  }, { additionalProperties: false }))
})
export type OrderView = Static<typeof OrderViewSchema>

export interface CancelRequest {
  orderId: string
  itemIds: readonly number[]
  dryRun: boolean
}
