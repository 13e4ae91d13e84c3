/**
 * What Gooten answers to a lookup and to a cancel, as values: credential checks, the order
 * document, the cancel's `Success` and `Errors`, and the error shapes of its IIS / ASP.NET stack
 * (`{"Message":…}` bodies, the `HadError` envelope, IIS's HTML 404 page). No HTTP here.
 */
import { randomUUID } from 'node:crypto'
import { json, HTML_TYPE } from './reply.js'
import type { Reply } from './reply.js'
import type { Params } from './router.js'
import { cancelInOrder, numericId } from './store.js'
import type { OrderStore } from './store.js'
import type { GootenErrorEntry } from './types.js'

export type NotFoundStyle = '404' | 'had-error-200'
export type Recancel = 'success' | 'error'

export interface GootenContext {
  store: OrderStore
  recipeId: string
  partnerBillingKey: string
  notFoundStyle: NotFoundStyle
  recancel: Recancel
}

/** Gooten's error envelope around FluentValidation-style entries. */
export function envelope (errors: GootenErrorEntry[]): Record<string, unknown> {
  return { HadError: true, ErrorReferenceCode: randomUUID(), Errors: errors }
}

export function entry (PropertyName: string, ErrorMessage: string, AttemptedValue: unknown): GootenErrorEntry {
  return { PropertyName, ErrorMessage, AttemptedValue, CustomState: null }
}

/** ASP.NET's message for an unhandled exception. */
export const ASPNET_ERROR_MESSAGE = 'An error has occurred.'

/** ASP.NET's answer when a handler throws. */
export const INTERNAL_ERROR: Reply = json(500, { Message: ASPNET_ERROR_MESSAGE })

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

export const NOT_FOUND_HTML: Reply = { status: 404, contentType: HTML_TYPE, body: IIS_404_PAGE }

export const UNAUTHORIZED: Reply = json(401, { Message: 'Authorization has been denied for this request. Invalid recipeId.' })

export function methodNotAllowed (method: string): Reply {
  return json(405, { Message: `The requested resource does not support http method '${method}'.` })
}

function notFound (ctx: GootenContext, attempted: string): Reply {
  return json(ctx.notFoundStyle === '404' ? 404 : 200, envelope([entry('Id', 'Order not found.', attempted)]))
}

/** `GET /api/v/5/source/api/orders?id=…&recipeid=…`: the billing key is not checked here. */
export function getOrder (ctx: GootenContext, params: Params): Reply {
  if (params.get('recipeid') !== ctx.recipeId) return UNAUTHORIZED
  const id = params.get('id') ?? ''
  const doc = ctx.store.find(id)
  return doc === undefined ? notFound(ctx, id) : json(200, doc)
}

/**
 * The cancel body's `Ids`, or undefined when the body is not a JSON object (sent as JSON)
 * carrying a non-empty array of integers. The property name is matched ignoring case, as
 * Json.NET binds it; duplicates are folded.
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

/** A fresh envelope each time: every error has its own reference code. */
const badIds = (): Reply => json(400, envelope([entry('Ids', "'Ids' must not be empty.", null)]))

/**
 * `PUT /api/orderCancel?orderId=…&recipeid=…&partnerBillingKey=…` with `{"Ids":[…]}`. Checks
 * run in this order: recipeid (401), partnerBillingKey (200 HadError), body (400), order (404
 * or 200 HadError per notFoundStyle), then each id; `refused` ids are refused whatever their
 * status.
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
  if (ids === undefined) return { reply: badIds(), changed: 0 }
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
