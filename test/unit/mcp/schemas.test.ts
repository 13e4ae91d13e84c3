import t from 'tap'
import fc from 'fast-check'
import type { TSchema } from '@sinclair/typebox'
import { Ajv } from 'ajv'
import { z } from 'zod'
import { asZod, ConfirmInput, ConfirmOutput, ListOrderItemsInput, OrderItemsOutput, PreviewInput, PreviewOutput, standalone } from '../../../src/mcp/schemas.js'

// McpServer validates with zod; the zod schemas are made from the TypeBox ones the REST routes use.
// These checks hold the two to the same verdict (Ajv, as Fastify validates the REST routes), and the
// input schemas hosts are shown to the TypeBox ones.

const ajv = new Ajv({ allErrors: true })
const agrees = (schema: TSchema) => {
  const typebox = ajv.compile(standalone(schema))
  const zod = asZod(schema)
  return (value: unknown): boolean => {
    // The one known difference: zod refuses integers beyond ±(2^53 - 1), which JSON numbers in
    // JavaScript cannot hold exactly anyway; Ajv takes them.
    fc.pre(!hasUnsafeInteger(value))
    return typebox(value) === zod.safeParse(value).success
  }
}

function hasUnsafeInteger (value: unknown): boolean {
  if (typeof value === 'number') return Number.isInteger(value) && !Number.isSafeInteger(value)
  if (value === null || typeof value !== 'object') return false
  return Object.values(value).some(hasUnsafeInteger)
}

const orderId = fc.oneof(fc.constantFrom('13-f91acc87-bd23-40df-91f4-72dad9a3c971', '520718', '', '../x', 'a'.repeat(65)), fc.string(), fc.integer())
const itemIds = fc.oneof(fc.array(fc.oneof(fc.integer({ min: -2, max: 5 }), fc.double(), fc.constant(2 ** 53)), { maxLength: 4 }), fc.array(fc.integer({ min: 1 }), { minLength: 99, maxLength: 102 }), fc.constant('1'))
const extra = fc.option(fc.dictionary(fc.constantFrom('extra', 'itemIds', '__x'), fc.anything()), { nil: undefined })
const withExtra = <T extends Record<string, unknown>>(record: fc.Arbitrary<T>) => fc.tuple(record, extra).map(([value, more]) => ({ ...more, ...value }))

const itemResult = fc.record({
  itemId: fc.oneof(fc.integer(), fc.double()),
  result: fc.constantFrom('cancelled', 'already_cancelled', 'failed', 'would_cancel', 'not_attempted', 'unknown', 'exploded'),
  previousStatus: fc.oneof(fc.string(), fc.constant(null), fc.integer()),
  reason: fc.option(fc.string(), { nil: undefined })
}, { requiredKeys: ['itemId', 'result', 'previousStatus'] })
const cancelResult = fc.record({
  orderId: fc.oneof(fc.string(), fc.integer()),
  gootenOrderId: fc.oneof(fc.integer(), fc.double(), fc.constant(null)),
  outcome: fc.constantFrom('cancelled', 'partially_cancelled', 'dry_run', 'maybe'),
  items: fc.array(itemResult, { maxLength: 3 }),
  requestId: fc.string(),
  confirmation: fc.option(fc.string(), { nil: undefined }),
  confirmationExpiresAt: fc.option(fc.string(), { nil: undefined }),
  replayed: fc.option(fc.oneof(fc.boolean(), fc.string()), { nil: undefined })
}, { requiredKeys: ['orderId', 'gootenOrderId', 'outcome', 'items'] })

const cases: Array<[string, TSchema & { properties?: unknown }, fc.Arbitrary<unknown>]> = [
  ['list input', ListOrderItemsInput, withExtra(fc.record({ orderId }, { requiredKeys: [] }))],
  ['preview input', PreviewInput, withExtra(fc.record({ orderId, itemIds }, { requiredKeys: [] }))],
  ['confirm input', ConfirmInput, withExtra(fc.record({ confirmation: fc.oneof(fc.string({ maxLength: 130 }), fc.string({ minLength: 127, maxLength: 130 }), fc.integer()), reason: fc.option(fc.oneof(fc.string(), fc.string({ minLength: 499, maxLength: 502 })), { nil: undefined }) }, { requiredKeys: [] }))],
  ['preview output', PreviewOutput, cancelResult],
  ['confirm output', ConfirmOutput, cancelResult],
  ['list output', OrderItemsOutput, fc.record({
    orderId: fc.string(),
    gootenOrderId: fc.oneof(fc.integer(), fc.constant(null), fc.string()),
    items: fc.array(fc.record({ itemId: fc.oneof(fc.integer(), fc.constant(null)), sku: fc.oneof(fc.string(), fc.constant(null)), quantity: fc.oneof(fc.double({ noNaN: true }), fc.constant(null)), status: fc.oneof(fc.string(), fc.integer()), cancellable: fc.oneof(fc.boolean(), fc.constant('yes')) }, { requiredKeys: ['itemId', 'status'] }), { maxLength: 3 })
  })]
]

for (const [name, schema, values] of cases) {
  t.test(`${name}: zod and TypeBox give the same verdict`, async (t) => {
    fc.assert(fc.property(values, agrees(schema)), { numRuns: 300 })
    t.pass('300 values, accepted and refused alike')
  })
}

for (const [name, schema] of [['list', ListOrderItemsInput], ['preview', PreviewInput], ['confirm', ConfirmInput]] as const) {
  t.test(`${name} input: the JSON Schema hosts see is the TypeBox one`, async (t) => {
    const { $schema: _dialect, ...announced } = z.toJSONSchema(asZod(schema), { io: 'input' }) as Record<string, unknown>
    t.same(normalised(announced), normalised(standalone(schema)))
  })
}

/** Keyword order aside, the same schema. */
function normalised (schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(normalised)
  if (schema === null || typeof schema !== 'object') return schema
  const entries = Object.entries(schema).map(([key, value]) => [key, normalised(value)] as const)
  return Object.fromEntries(entries.sort(([a], [b]) => a.localeCompare(b)))
}
