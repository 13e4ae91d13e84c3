/** An answer as a value: routes and faults decide it, `Exchange.send` writes it. */
export interface Reply {
  status: number
  contentType: string
  body: string | Buffer
  retryAfter?: string
}

export const JSON_TYPE = 'application/json; charset=utf-8'
export const HTML_TYPE = 'text/html; charset=utf-8'

export function json (status: number, value: unknown): Reply {
  return { status, contentType: JSON_TYPE, body: JSON.stringify(value) }
}
