import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import { isReadOnly } from '../auth/caller.js'
import { toProblem } from '../http/error-mapping.js'
import { PROBLEMS } from '../problems/catalogue.js'
import { ProblemError } from '../problems/problem-error.js'
import { PreviewedCancellations, type ToolRequest } from '../mcp/previewed-cancellations.js'
import type { ToolName } from '../mcp/tools.js'

// The MCP SDK and zod cost some 30 MB of memory: loaded on the first /mcp request, so that a replica
// no assistant calls never holds them.
let endpoint: Promise<typeof import('../mcp/endpoint.js')> | undefined
const loadEndpoint = async (): Promise<typeof import('../mcp/endpoint.js')> => await (endpoint ??= import('../mcp/endpoint.js'))

export interface McpOptions {
  /** Epoch milliseconds, for confirmations' expiry; tests move it. */
  now?: () => number
}

/** A JSON-RPC error answer, as the MCP transport gives its own (id null: the request could not be read). */
function jsonRpcError (reply: FastifyReply, status: number, code: number, message: string): FastifyReply {
  return reply.code(status).type('application/json').send({ jsonrpc: '2.0', error: { code, message }, id: null })
}

/** The web-standard request the MCP transport reads: method, headers and URL; the body is already parsed. */
function webRequest (request: FastifyRequest): Request {
  const headers = new Headers()
  const raw = request.raw.rawHeaders
  for (let index = 0; index + 1 < raw.length; index += 2) headers.append(raw[index] as string, raw[index + 1] as string)
  return new Request(`http://mcp.invalid${request.url}`, { method: request.method, headers })
}

/**
 * POST /mcp: the Model Context Protocol's Streamable HTTP transport, stateless (mcp/endpoint.ts).
 * It sits in the order routes' scope: the same caller keys, rate limits and deadline.
 */
const mcp: FastifyPluginAsync<McpOptions> = async (app, options) => {
  const { stores, cancellation, config, metrics } = app
  const previews = new PreviewedCancellations({
    cancellation,
    confirmations: stores.confirmations,
    idempotency: stores.idempotency,
    confirmationTtlMs: config.mcpConfirmationTtlMs,
    now: options.now ?? Date.now,
    audit: (request, { reason, ...fields }) => {
      request.log.info({ audit: 'cancel', via: 'mcp', caller: request.caller, subject: request.subject ?? null, actor: request.actor ?? null, ...fields, reason: reason === undefined ? null : app.redactSecrets(reason) }, 'cancel audit')
    }
  })

  // The MCP specification asks servers to check Origin against DNS rebinding: a web page must not
  // reach /mcp through a browser. MCP hosts are not browsers and send none.
  app.addHook('onRequest', (request, _reply, done) => {
    done(request.headers.origin === undefined ? undefined : new ProblemError('FORBIDDEN', PROBLEMS.FORBIDDEN.detail.fromWebPage))
  })

  // A body that is not JSON (the route has no schema, so nothing else fails validation) is a JSON-RPC
  // parse error, in JSON-RPC's shape. Everything else (no key, rate limits, size, media type, a bug)
  // goes on to the service's own handler: its usual problem answer, and its log line for a bug.
  app.setErrorHandler(async (error, request, reply) => {
    if (toProblem(error).code !== 'VALIDATION_FAILED') throw error
    request.problemCode = 'VALIDATION_FAILED'
    return jsonRpcError(reply, 400, -32700, 'Parse error: the body is not valid JSON.')
  })

  app.post('/mcp', { schema: { hide: true }, config: { requiredScope: () => 'orders:read' } }, async (request, reply) => {
    // The tools called, on the access line; none for a request that called none (initialize, tools/list).
    const tools: string[] = []
    const toolRequest: ToolRequest = {
      caller: request.callerContext.caller,
      subject: request.callerContext.subject,
      actor: request.callerContext.actor,
      readOnly: isReadOnly(request.callerContext),
      requestId: request.id,
      upstream: app.callContext(request),
      log: request.log
    }
    const counted = (tool: ToolName, outcome: 'ok' | 'tool_error'): void => {
      if (tools.length === 0) request.accessDetails = { mcp: tools }
      tools.push(`${tool}:${outcome}`)
      metrics.mcpToolCall(tool, outcome)
    }
    const { answerMcp } = await loadEndpoint()
    const answer = await answerMcp(toolRequest, { previews, counted }, webRequest(request), request.body)
    reply.code(answer.status)
    answer.headers.forEach((value, name) => { reply.header(name, value) })
    return await reply.send(answer.text === '' ? undefined : answer.text)
  })

  // Stateless: no event stream to open with GET and no session to end with DELETE (the specification's 405).
  app.route({
    method: ['GET', 'DELETE'],
    url: '/mcp',
    schema: { hide: true },
    handler: async (_request, reply) => jsonRpcError(reply.header('allow', 'POST'), 405, -32000, 'Method not allowed: this MCP endpoint is stateless; send JSON-RPC requests with POST.')
  })
}

export default mcp
