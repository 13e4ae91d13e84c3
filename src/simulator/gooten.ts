import { randomUUID } from 'node:crypto'
import { cancelInOrder, numericId } from './store.js'
import type { OrderStore } from './store.js'
import type { BareAnswerAfterApplyFault, CloseKeepAliveFault, DelayFault, Fault, HangFault, RefuseFault, ResetAfterApplyFault, ResetFault } from './faults.js'
import type { GootenErrorEntry } from './types.js'

/** What to answer; the server turns it into an HTTP response. */
export interface Reply {
  status: number
  contentType: string
  body: string | Buffer
  retryAfter?: string
}

export const JSON_TYPE = 'application/json; charset=utf-8'
export const HTML_TYPE = 'text/html; charset=utf-8'

export type NotFoundStyle = '404' | 'had-error-200'
export type Recancel = 'success' | 'error'

export interface GootenContext {
  store: OrderStore
  recipeId: string
  partnerBillingKey: string
  notFoundStyle: NotFoundStyle
  recancel: Recancel
}

/** Query parameters keyed by lower-cased name (Gooten matches names case-insensitively); first value wins. */
export type Params = Map<string, string>

export function parseQuery (query: string): Params {
  const params: Params = new Map()
  if (query === '') return params
  for (const [name, value] of new URLSearchParams(query)) {
    const key = name.toLowerCase()
    if (!params.has(key)) params.set(key, value)
  }
  return params
}

export function json (status: number, value: unknown): Reply {
  return { status, contentType: JSON_TYPE, body: JSON.stringify(value) }
}

function envelope (errors: GootenErrorEntry[]): Record<string, unknown> {
  return { HadError: true, ErrorReferenceCode: randomUUID(), Errors: errors }
}

function entry (PropertyName: string, ErrorMessage: string, AttemptedValue: unknown): GootenErrorEntry {
  return { PropertyName, ErrorMessage, AttemptedValue, CustomState: null }
}

/** IIS's page for a path no route matches. */
export const IIS_404_PAGE = `<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">
<html xmlns="http://www.w3.org/1999/xhtml">
<head><meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1"/><title>404 - File or directory not found.</title></head>
<body><div id="header"><h1>Server Error</h1></div>
<div id="content"><div class="content-container"><fieldset>
<h2>404 - File or directory not found.</h2>
<h3>The resource you are looking for might have been removed, had its name changed, or is temporarily unavailable.</h3>
</fieldset></div></div></body></html>
`

/** An ASP.NET error page, served with 200 by the `html` fault. */
export const ASPNET_ERROR_PAGE = `<!DOCTYPE html>
<html>
<head><title>Runtime Error</title></head>
<body bgcolor="white">
<span><H1>Server Error in '/' Application.<hr width=100% size=1 color=silver></H1>
<h2> <i>Runtime Error</i> </h2></span>
<b> Description: </b>An application error occurred on the server.
</body>
</html>
`

export const NOT_FOUND_HTML: Reply = { status: 404, contentType: HTML_TYPE, body: IIS_404_PAGE }

export const UNAUTHORIZED: Reply = json(401, { Message: 'Authorization has been denied for this request. Invalid recipeId.' })

export function methodNotAllowed (method: string): Reply {
  return json(405, { Message: `The requested resource does not support http method '${method}'.` })
}

function notFound (ctx: GootenContext, attempted: string): Reply {
  return json(ctx.notFoundStyle === '404' ? 404 : 200, envelope([entry('Id', 'Order not found.', attempted)]))
}

/** `GET /api/v/5/source/api/orders?id=…&recipeid=…` */
export function getOrder (ctx: GootenContext, params: Params): Reply {
  if (params.get('recipeid') !== ctx.recipeId) return UNAUTHORIZED
  const id = params.get('id') ?? ''
  const doc = ctx.store.find(id)
  return doc === undefined ? notFound(ctx, id) : json(200, doc)
}

/**
 * The cancel body's `Ids`, or undefined when the body is not a JSON object
 * (sent as JSON) carrying a non-empty array of integers. The property name is
 * matched case-insensitively, as Json.NET binds it.
 */
export function parseCancelIds (body: Buffer, contentType: string | undefined): number[] | undefined {
  if (contentType === undefined || !contentType.toLowerCase().includes('json')) return undefined
  let value: unknown
  try {
    value = JSON.parse(body.toString('utf8'))
  } catch {
    return undefined
  }
  if (typeof value !== 'object' || value === null) return undefined
  let ids: unknown
  for (const [key, v] of Object.entries(value)) {
    if (key.toLowerCase() === 'ids') { ids = v; break }
  }
  if (!Array.isArray(ids) || ids.length === 0 || !ids.every(Number.isSafeInteger)) return undefined
  return [...new Set(ids as number[])]
}

export interface CancelResult {
  reply: Reply
  /** Items whose status changed. */
  changed: number
}

const BAD_IDS = (ids: unknown): Reply =>
  json(400, envelope([entry('Ids', "'Ids' must not be empty.", ids)]))

/**
 * `PUT /api/orderCancel?orderId=…&recipeid=…&partnerBillingKey=…` and the
 * legacy `POST /api/updateOrder/{orderId}/CancelItems?…`: same semantics.
 * Checks run in this order: recipeid (401), partnerBillingKey (200 HadError),
 * body (400), order (404 or 200 HadError per notFoundStyle), then each id.
 */
export function cancelItems (
  ctx: GootenContext,
  params: Params,
  orderIdRaw: string,
  ids: number[] | undefined,
  refused: ReadonlySet<number> | undefined
): CancelResult {
  if (params.get('recipeid') !== ctx.recipeId) return { reply: UNAUTHORIZED, changed: 0 }
  if (params.get('partnerbillingkey') !== ctx.partnerBillingKey) {
    // Never echo the key back.
    return { reply: json(200, envelope([entry('PartnerBillingKey', 'Invalid partnerBillingKey.', '')])), changed: 0 }
  }
  if (ids === undefined) return { reply: BAD_IDS(null), changed: 0 }
  const gootenId = numericId(orderIdRaw)
  const doc = gootenId === undefined ? undefined : ctx.store.byGootenId(gootenId)
  if (doc === undefined) return { reply: notFound(ctx, orderIdRaw), changed: 0 }
  const outcome = cancelInOrder(doc, ids, ctx.recancel, refused)
  const hadError = outcome.errors.length > 0
  const body: Record<string, unknown> = { HadError: hadError }
  if (hadError) body.ErrorReferenceCode = randomUUID()
  body.Errors = outcome.errors
  body.Success = outcome.success
  return { reply: json(200, body), changed: outcome.changed }
}

const HUGE_BYTES = 2 * 1024 * 1024
let hugeBody: Buffer | undefined

/** Exactly 2 MiB of valid JSON, built once. */
export function huge (): Buffer {
  if (hugeBody === undefined) {
    const head = '{"HadError":false,"Padding":"'
    const tail = '"}'
    hugeBody = Buffer.from(head + 'x'.repeat(HUGE_BYTES - head.length - tail.length) + tail)
  }
  return hugeBody
}

export const DEFAULT_ERROR_MESSAGE = 'An error has occurred.'

/** Faults whose whole answer is canned (the others alter normal processing). */
export type CannedFault = Exclude<Fault, DelayFault | HangFault | RefuseFault | ResetFault | ResetAfterApplyFault | BareAnswerAfterApplyFault | CloseKeepAliveFault>

/** The canned answer of a fault that replaces the whole response. */
export function faultReply (fault: CannedFault): Reply {
  switch (fault.kind) {
    case 'status': {
      const reply: Reply = {
        status: fault.status,
        contentType: fault.contentType ?? JSON_TYPE,
        body: fault.body ?? JSON.stringify({ Message: DEFAULT_ERROR_MESSAGE })
      }
      if (fault.retryAfter !== undefined) reply.retryAfter = fault.retryAfter
      return reply
    }
    case 'html': return { status: 200, contentType: HTML_TYPE, body: ASPNET_ERROR_PAGE }
    case 'invalid-json': return { status: 200, contentType: JSON_TYPE, body: '{"Id":"13-' }
    case 'had-error': return json(200, envelope([entry('', fault.message ?? 'An unexpected error occurred.', '')]))
    case 'message': return json(200, { Message: fault.message ?? DEFAULT_ERROR_MESSAGE })
    case 'wrong-shape': return json(200, { Result: { Foo: 1 } })
    case 'huge': return { status: 200, contentType: JSON_TYPE, body: huge() }
  }
}
