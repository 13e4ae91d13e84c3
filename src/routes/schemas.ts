import { Type } from '@sinclair/typebox'
import { CancelOutcomeSchema, ItemResultSchema, OrderViewSchema, StringEnum } from '../cancellation/types.js'
import { REQUEST_ID_PATTERN } from '../http/request-id.js'
import { LIMITS } from '../problems/catalogue.js'

export const ORDER_ID_PATTERN = '^[A-Za-z0-9-]{1,64}$'
/** Visible ASCII, as the Idempotency-Key draft and our request ids allow. */
export const VISIBLE_ASCII_PATTERN = '^[\\x21-\\x7E]{1,255}$'

export const OrderParams = Type.Object({
  orderId: Type.String({
    pattern: ORDER_ID_PATTERN,
    description: 'Gooten Safe Order ID (as returned by order submit) or numeric GootenId.',
    examples: ['13-f91acc87-bd23-40df-91f4-72dad9a3c971']
  })
}, { additionalProperties: false })

export const CommonHeaders = Type.Object({
  'x-request-id': Type.Optional(Type.String({
    pattern: REQUEST_ID_PATTERN,
    description: 'Correlation id, echoed in the response; generated when absent.'
  }))
})

export const CancelHeaders = Type.Object({
  ...CommonHeaders.properties,
  'idempotency-key': Type.Optional(Type.String({
    pattern: VISIBLE_ASCII_PATTERN,
    description: 'Makes a retried cancel safe: the first answer for this key is replayed.'
  }))
})

/** The read takes no query parameters; any is refused rather than ignored. */
export const NoQuery = Type.Object({}, { additionalProperties: false })

export const CancelQuery = Type.Object({
  dryRun: Type.Optional(StringEnum(['true', 'false'], {
    description: 'true: run every check, forward nothing, answer what would happen.'
  }))
}, { additionalProperties: false })

export const CancelBody = Type.Object({
  itemIds: Type.Array(Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }), {
    minItems: 1,
    maxItems: LIMITS.itemIds,
    uniqueItems: true,
    description: `Gooten OrderItemIds to cancel (1 to ${LIMITS.itemIds}, unique).`
  }),
  reason: Type.Optional(Type.String({ maxLength: LIMITS.reasonChars, description: 'Why; written to the audit log only.' }))
}, {
  additionalProperties: false,
  examples: [{ itemIds: [6924457, 6924458], reason: 'customer request' }]
})

/** The domain's outcome, and the request's id. */
export const CancelResponse = Type.Object({
  ...CancelOutcomeSchema.properties,
  requestId: Type.String()
}, {
  $id: 'CancelResult',
  title: 'CancelResult',
  additionalProperties: false,
  examples: [{
    orderId: '13-f91acc87-bd23-40df-91f4-72dad9a3c971',
    gootenOrderId: 520718,
    outcome: 'cancelled',
    items: [{ itemId: 6924457, result: 'cancelled', previousStatus: 'New' }],
    requestId: 'b1f0c3a2-9d7e-4c1a-8f55-2f0d6f1e9a10'
  }]
})

const EXAMPLE_ORDER = { orderId: '13-f91acc87-bd23-40df-91f4-72dad9a3c971', gootenOrderId: 520718 }
const EXAMPLE_REQUEST_ID = 'b1f0c3a2-9d7e-4c1a-8f55-2f0d6f1e9a10'

/** The 200 answers of a cancel, as named examples of the response: one per outcome, as short as each can be. */
export const CANCEL_RESULT_EXAMPLES = {
  cancelled: {
    summary: 'cancelled: every requested item is cancelled',
    value: CancelResponse.examples[0]
  },
  partially_cancelled: {
    summary: 'partially_cancelled (still 200): Gooten refused one item',
    value: {
      ...EXAMPLE_ORDER,
      outcome: 'partially_cancelled',
      items: [
        { itemId: 6924457, result: 'cancelled', previousStatus: 'New' },
        { itemId: 6924458, result: 'failed', previousStatus: 'Hold', reason: 'Gooten refused: the item is no longer in a pre-production status.' }
      ],
      requestId: EXAMPLE_REQUEST_ID
    }
  },
  dry_run: {
    summary: 'dry_run: what a real cancel would do; nothing forwarded',
    value: {
      ...EXAMPLE_ORDER,
      outcome: 'dry_run',
      items: [{ itemId: 6924457, result: 'would_cancel', previousStatus: 'New' }],
      requestId: EXAMPLE_REQUEST_ID
    }
  }
}

export const OrderItemsResponse = Type.Object({
  ...OrderViewSchema.properties
}, {
  $id: 'OrderItems',
  title: 'OrderItems',
  additionalProperties: false,
  examples: [{
    orderId: '13-f91acc87-bd23-40df-91f4-72dad9a3c971',
    gootenOrderId: 520718,
    items: [
      { itemId: 6924457, sku: 'PhoneCase-iPhone15-Glossy', quantity: 1, status: 'New', cancellable: true },
      { itemId: 6924462, sku: 'Mug-11oz-White', quantity: 2, status: 'Shipped', cancellable: false }
    ]
  }]
})

export const ORDER_ITEMS_EXAMPLES = {
  items: { summary: 'A cancellable item and a shipped one', value: OrderItemsResponse.examples[0] }
}

export const ProblemSchema = Type.Object({
  type: Type.String({ description: 'A URI naming the problem type.' }),
  title: Type.String(),
  status: Type.Integer(),
  detail: Type.String(),
  code: Type.String({ description: 'Stable machine-readable code.' }),
  requestId: Type.String({ description: 'The request id, also sent as the X-Request-Id header: quote it when reporting a problem.' }),
  errors: Type.Optional(Type.Array(Type.Object({ path: Type.String(), message: Type.String() }, { additionalProperties: false }))),
  items: Type.Optional(Type.Array(Type.Ref(ItemResultSchema))),
  outcomeKnown: Type.Optional(Type.Boolean({ description: 'false when a cancel call failed midway and its effect is still unknown.' }))
}, {
  $id: 'Problem',
  title: 'Problem',
  description: 'RFC 9457 problem details.',
  additionalProperties: false
})

export const SHARED_SCHEMAS = [ItemResultSchema, CancelResponse, OrderItemsResponse, ProblemSchema]
