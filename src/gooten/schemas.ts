import { Type, type Static, type TSchema } from '@sinclair/typebox'
import { TypeCompiler } from '@sinclair/typebox/compiler'

// Gooten's documented shapes, only the fields we read; everything else is allowed and ignored.
const Nullable = <T extends TSchema>(schema: T) => Type.Optional(Type.Union([schema, Type.Null()]))
// Ids are integers in every example; tolerate numeric strings from older serialisers.
const IdValue = Type.Union([Type.Integer(), Type.String({ pattern: '^[0-9]{1,15}$' })])

const OrderItemSchema = Type.Object({
  Status: Type.String(),
  Sku: Nullable(Type.String()),
  Quantity: Nullable(Type.Number()),
  Id: Nullable(Type.Unknown()),
  OrderItemId: Nullable(IdValue),
  Images: Nullable(Type.Array(Type.Object({ OrderItemId: Nullable(IdValue) })))
})

export const OrderDocumentSchema = Type.Object({
  Id: Nullable(Type.Union([Type.String(), Type.Integer()])),
  GootenId: Nullable(IdValue),
  Items: Type.Array(OrderItemSchema)
})
export type OrderDocument = Static<typeof OrderDocumentSchema>
export type OrderItemDocument = Static<typeof OrderItemSchema>

const ErrorEntrySchema = Type.Object({
  PropertyName: Nullable(Type.String()),
  ErrorMessage: Nullable(Type.String()),
  AttemptedValue: Nullable(Type.Unknown())
})
export type ErrorEntry = Static<typeof ErrorEntrySchema>

/** The `HadError` envelope Gooten wraps answers and failures in. */
export const EnvelopeSchema = Type.Object({
  HadError: Type.Boolean(),
  Errors: Nullable(Type.Array(ErrorEntrySchema))
})

export const CancelReplySchema = Type.Object({
  HadError: Type.Boolean(),
  Errors: Nullable(Type.Array(ErrorEntrySchema)),
  Success: Nullable(Type.Array(IdValue))
})
export type CancelReplyDocument = Static<typeof CancelReplySchema>

/** ASP.NET's bare `{ "Message": … }` answer (e.g. an invalid recipe id). */
export const MessageOnlySchema = Type.Object({ Message: Type.String() })

// Compiled once at load: these run on every upstream answer.
export const isOrderDocument = TypeCompiler.Compile(OrderDocumentSchema)
export const isEnvelope = TypeCompiler.Compile(EnvelopeSchema)
export const isCancelReply = TypeCompiler.Compile(CancelReplySchema)
export const isMessageOnly = TypeCompiler.Compile(MessageOnlySchema)
