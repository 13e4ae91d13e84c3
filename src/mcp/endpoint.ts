import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js'
import type { ToolRequest } from './previewed-cancellations.js'
import { mcpServerFor, type ToolsOptions } from './tools.js'

export interface McpAnswer { status: number, headers: Headers, text: string }

/**
 * One JSON-RPC exchange, stateless: a fresh server and transport for the request (so any replica
 * serves any request), answering JSON rather than an event stream, closed once answered.
 */
export async function answerMcp (toolRequest: ToolRequest, options: ToolsOptions, request: Request, parsedBody: unknown): Promise<McpAnswer> {
  const server = mcpServerFor(toolRequest, options)
  const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true })
  await server.connect(transport)
  try {
    const response = await transport.handleRequest(request, { parsedBody })
    return { status: response.status, headers: response.headers, text: await response.text() }
  } finally {
    await server.close()
  }
}
