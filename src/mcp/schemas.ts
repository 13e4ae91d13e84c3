import { Type, type TSchema } from '@sinclair/typebox'
import { z } from 'zod'
import { ItemResultSchema } from '../cancellation/types.js'
import { CancelBody, CancelResponse, OrderItemsResponse, OrderParams } from '../routes/schemas.js'

// The tools' shapes are the REST routes' TypeBox schemas, so a tool and its route cannot drift apart.

export const ListOrderItemsInput = Type.Object({
  orderId: OrderParams.properties.orderId
}, { additionalProperties: false })

export const PreviewInput = Type.Object({
  orderId: OrderParams.properties.orderId,
  itemIds: CancelBody.properties.itemIds
}, { additionalProperties: false })

export const ConfirmInput = Type.Object({
  confirmation: Type.String({
    minLength: 1,
    maxLength: 128,
    description: 'The confirmation preview_cancellation returned, exactly as given.'
  }),
  reason: CancelBody.properties.reason
}, { additionalProperties: false })

export const PreviewOutput = Type.Object({
  ...CancelResponse.properties,
  confirmation: Type.Optional(Type.String({
    description: 'Single use, for this caller, order and items only; present when at least one item would be cancelled and the caller may confirm.'
  })),
  confirmationExpiresAt: Type.Optional(Type.String({ description: 'When the confirmation stops working (ISO 8601, UTC).' }))
}, { additionalProperties: false })

export const ConfirmOutput = Type.Object({
  ...CancelResponse.properties,
  replayed: Type.Optional(Type.Boolean({ description: 'true: this confirmation was used before; this is that first result, and nothing was sent to Gooten again.' }))
}, { additionalProperties: false })

export const OrderItemsOutput = Type.Object({ ...OrderItemsResponse.properties }, { additionalProperties: false })

const SHARED_BY_ID: Record<string, TSchema> = { [ItemResultSchema.$id as string]: ItemResultSchema }

/**
 * The schema as plain JSON Schema for an MCP host: shared schemas (`$ref: 'ItemResult'`) written out
 * in place, since a tool's schema must stand alone; no `$id` or examples, which are the OpenAPI
 * document's business.
 */
export function standalone (schema: TSchema): Record<string, unknown> {
  return JSON.parse(JSON.stringify(schema, (key, value: unknown) => {
    if (key === '$id' || key === 'examples') return undefined
    if (value !== null && typeof value === 'object' && '$ref' in value) {
      return SHARED_BY_ID[(value as { $ref: string }).$ref]
    }
    return value
  })) as Record<string, unknown>
}

/**
 * The zod schema McpServer validates with (1.x takes zod only), made from the TypeBox one: one source
 * of truth. test/unit/mcp/schemas.test.ts checks that both accept and refuse the same values.
 */
export const asZod = (schema: TSchema): z.ZodType => z.fromJSONSchema(standalone(schema) as Parameters<typeof z.fromJSONSchema>[0])
