import { Type, type Static } from '@sinclair/typebox'

/** A string enum as one `enum` keyword, which reads better in OpenAPI than TypeBox's anyOf of literals. */
export const StringEnum = <T extends string[]>(values: [...T], options: { description?: string } = {}) =>
  Type.Unsafe<T[number]>({ type: 'string', enum: values, ...options })

/**
 * A string enum whose every value is explained: one `enum` keyword, and a description that says
 * what each value means for the caller (Swagger UI shows it as a list under the property).
 */
export const DescribedEnum = <T extends Record<string, string>>(intro: string, meanings: T) =>
  Type.Unsafe<Extract<keyof T, string>>({
    type: 'string',
    enum: Object.keys(meanings),
    description: [intro, '', ...Object.entries(meanings).map(([value, meaning]) => `- \`${value}\`: ${meaning}`)].join('\n')
  })

/** What each item result means for the caller. */
export const ITEM_RESULT_MEANINGS = {
  cancelled: 'cancelled by this request: Gooten confirmed it, or a follow-up lookup shows it cancelled.',
  already_cancelled: 'it was cancelled before this request; it was not forwarded. Nothing to do.',
  failed: 'not cancelled: Gooten refused it, or it is not in the order or past pre-production. `reason` says which; retry only if it says a later request may succeed.',
  would_cancel: 'dry run: a real request would forward it. Send the request without `dryRun` to cancel.',
  not_attempted: 'not forwarded, because another requested item failed a pre-check. Drop or fix that item and send again.',
  unknown: 'the cancel call failed midway and Gooten does not show the item cancelled yet. Retry with the same Idempotency-Key: the retry looks again and never cancels twice.'
} as const

/** What each outcome of a 200 answer means for the caller. */
export const OUTCOME_MEANINGS = {
  cancelled: 'every requested item is cancelled now (some may have been already). Nothing more to do.',
  partially_cancelled: 'Gooten cancelled some forwarded items and refused the others. Still HTTP 200: the items whose `result` is `failed` were not cancelled.',
  dry_run: '`?dryRun=true`: every check passed and nothing was forwarded; each item says what a real request would do.'
} as const

// The domain's results as schemas: the types below derive from them, and the HTTP answers reuse them.

export const ItemResultSchema = Type.Object({
  itemId: Type.Integer(),
  result: DescribedEnum('What happened to this item:', ITEM_RESULT_MEANINGS),
  previousStatus: Type.Union([Type.String(), Type.Null()], { description: 'Gooten status before this request, as Gooten spells it; null when the item is not in the order.' }),
  reason: Type.Optional(Type.String({ description: 'Why, in our words (failed, not_attempted, unknown).' }))
}, { $id: 'ItemResult', title: 'ItemResult', additionalProperties: false })
export type ItemResult = Static<typeof ItemResultSchema>

export const CancelOutcomeSchema = Type.Object({
  orderId: Type.String(),
  gootenOrderId: Type.Integer(),
  outcome: DescribedEnum('What happened to the request as a whole:', OUTCOME_MEANINGS),
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
