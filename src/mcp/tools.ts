import type { Static } from '@sinclair/typebox'
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import type { CallToolResult, ToolAnnotations } from '@modelcontextprotocol/sdk/types.js'
import { CANCELLABLE_STATUSES } from '../cancellation/status-policy.js'
import { failed, type PreviewedCancellations, type ToolOutcome, type ToolRequest } from './previewed-cancellations.js'
import { asZod, ConfirmInput, ConfirmOutput, ListOrderItemsInput, OrderItemsOutput, PreviewInput, PreviewOutput } from './schemas.js'

export type ToolName = 'list_order_items' | 'preview_cancellation' | 'confirm_cancellation'

export interface ToolsOptions {
  previews: PreviewedCancellations
  /** Counts each call by tool and whether it answered a result or a tool error. */
  counted: (tool: ToolName, outcome: 'ok' | 'tool_error') => void
}

const STATUSES = `Only items in a pre-production status (${CANCELLABLE_STATUSES.join(', ')}) can be cancelled; an item in production, shipped or otherwise past pre-production cannot.`

/** Read by the host's model before any tool: the rules it must follow. */
export const INSTRUCTIONS = [
  'Cancels items of Gooten print-on-demand orders for support staff, with safety checks.',
  'A cancel is irreversible and happens only in two steps: preview_cancellation, then confirm_cancellation.',
  'Show the person the preview (each item and what would happen to it) and get their explicit yes before confirming.',
  'Never invent order or item ids: take them from the person or from list_order_items.',
  STATUSES
].join(' ')

const DESCRIPTIONS: Record<ToolName, string> = {
  list_order_items: [
    'Lists the items of a Gooten order: each item\'s id, SKU, quantity, Gooten status, and whether it can still be cancelled.',
    'Read only. Use it to find the item ids before previewing a cancellation.',
    STATUSES
  ].join(' '),
  preview_cancellation: [
    'Dry run of cancelling items of an order: checks every item and says what a real cancel would do, without cancelling anything.',
    'When at least one item would be cancelled, the result holds a confirmation: single use, valid for a few minutes, only for this caller and exactly these items.',
    'Before calling confirm_cancellation you MUST show this preview to the person (each item id, its status and its result) and get their explicit approval; a cancel cannot be undone.',
    STATUSES
  ].join(' '),
  confirm_cancellation: [
    'Cancels, for real and irreversibly, exactly the items of one preview, given its confirmation; it takes no item ids of its own.',
    'Call it only after the person has seen that preview and said yes.',
    'Statuses are checked again first: if an item left pre-production since the preview, nothing is cancelled and the result says why.',
    'Calling it again with the same confirmation returns the first result and cancels nothing more.',
    'A confirmation expires after a few minutes; then preview again.'
  ].join(' ')
}

type Outcome = ToolOutcome<Record<string, unknown>>

interface Tool {
  title: string
  annotations: ToolAnnotations
  /** Input and output as zod schemas, built once: converting them costs more than serving a request. */
  schemas: [ReturnType<typeof asZod>, ReturnType<typeof asZod>]
  /** The arguments are the input schema's: the SDK has checked them before the call. */
  call: (previews: PreviewedCancellations, request: ToolRequest, args: unknown) => Promise<Outcome>
  summary: (result: Record<string, unknown>) => string
}

const READS = { readOnlyHint: true, openWorldHint: true }
const orderAndItems = ({ orderId, itemIds }: Static<typeof PreviewInput>): [string, number[]] => [orderId, itemIds]

const TOOLS: Record<ToolName, Tool> = {
  list_order_items: {
    title: 'List an order\'s items',
    annotations: READS,
    schemas: [asZod(ListOrderItemsInput), asZod(OrderItemsOutput)],
    call: async (previews, request, args) => await previews.list(request, (args as Static<typeof ListOrderItemsInput>).orderId),
    summary: () => 'The order\'s items:'
  },
  preview_cancellation: {
    title: 'Preview cancelling items (dry run)',
    annotations: READS,
    schemas: [asZod(PreviewInput), asZod(PreviewOutput)],
    call: async (previews, request, args) => await previews.preview(request, ...orderAndItems(args as Static<typeof PreviewInput>)),
    summary: previewSummary
  },
  confirm_cancellation: {
    title: 'Confirm a previewed cancellation (irreversible)',
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: true },
    schemas: [asZod(ConfirmInput), asZod(ConfirmOutput)],
    call: async (previews, request, args) => {
      const { confirmation, reason } = args as Static<typeof ConfirmInput>
      return await previews.confirm(request, confirmation, reason)
    },
    summary: confirmSummary
  }
}

/** What the person and the model read: a sentence, then the whole result as JSON (structuredContent holds it too). */
function rendered (outcome: ToolOutcome<Record<string, unknown>>, summary: (result: Record<string, unknown>) => string, requestId: string): CallToolResult {
  if (!outcome.ok) {
    const { ok: _ok, ...problem } = outcome
    return { isError: true, content: [{ type: 'text', text: `${outcome.detail}\n${JSON.stringify({ requestId, ...problem })}` }] }
  }
  return { content: [{ type: 'text', text: `${summary(outcome.result)}\n${JSON.stringify(outcome.result)}` }], structuredContent: outcome.result }
}

function previewSummary (result: Record<string, unknown>): string {
  if (result.confirmation === undefined) return 'Dry run: nothing was cancelled, and there is nothing to confirm for this caller.'
  return `Dry run: nothing was cancelled yet. Show the person each item and its result; only with their approval call confirm_cancellation with this confirmation (valid until ${String(result.confirmationExpiresAt)}).`
}

function confirmSummary (result: Record<string, unknown>): string {
  if (result.replayed === true) return `This confirmation was already used; its first result follows. Nothing was sent to Gooten again. Outcome: ${String(result.outcome)}.`
  return `Outcome: ${String(result.outcome)}. Each item's result follows.`
}

/** A fresh MCP server for one HTTP request (stateless): its tools act for `request`'s caller, within its deadline. */
export function mcpServerFor (request: ToolRequest, { previews, counted }: ToolsOptions): McpServer {
  const server = new McpServer({ name: 'gooten-order-proxy', version: '1.0.0' }, { instructions: INSTRUCTIONS })

  for (const [name, tool] of Object.entries(TOOLS) as Array<[ToolName, Tool]>) {
    server.registerTool(name, {
      title: tool.title,
      description: DESCRIPTIONS[name],
      inputSchema: tool.schemas[0],
      outputSchema: tool.schemas[1],
      annotations: tool.annotations
    }, async (args) => await run(name, tool, args))
  }

  async function run (name: ToolName, tool: Tool, args: unknown): Promise<CallToolResult> {
    let outcome: Outcome
    try {
      outcome = await tool.call(previews, request, args)
    } catch (error) {
      const { unexpected, retryable: _retryable, ...problem } = failed(error)
      if (unexpected) request.log.error({ err: error, tool: name }, 'unhandled error in an MCP tool')
      outcome = problem
    }
    counted(name, outcome.ok ? 'ok' : 'tool_error')
    return rendered(outcome, tool.summary, request.requestId)
  }
  return server
}
