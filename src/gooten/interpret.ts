import { GootenError, type UnreadableReason, type UpstreamOp } from './errors.js'
import { toId, toOrder } from './order-mapper.js'
import { isCancelReply, isEnvelope, isMessageOnly, isOrderDocument, type ErrorEntry } from './schemas.js'
import type { GootenCancelReply, GootenOrder, RefusalReason } from './types.js'

/** What came back from Gooten, before we decide what it means. */
export interface RawAnswer {
  status: number
  retryAfterMs: number | undefined
  /** Parsed JSON, or a marker for bodies that are not JSON at all. */
  body: { kind: 'json', value: unknown } | { kind: 'html' } | { kind: 'invalid_json' } | { kind: 'empty' }
}

// Gooten reports a bad recipe id or billing key in free text; these are the words seen in its docs and clients.
const CREDENTIAL_WORDS = /recipe ?id|billing ?key|authori[sz]|api ?key|credential/i
const NOT_FOUND_WORDS = /not (be )?found|does not exist|no such order|unknown order/i
const STATUS_WORDS = /status|production|shipped|delivered/i
// A refusal for now, without a status: Gooten's own words for an item it will not cancel yet.
const FOR_NOW_WORDS = /at this (time|moment)|currently|right now|temporar|try again later/i
const ITEM_MISSING_WORDS = /not (be )?found|does not exist|not (part )?(of|in) (the|this) order|invalid (order )?item/i

const RETRYABLE_STATUSES = new Set([429, 500, 502, 503, 504])

function messagesOf (errors: ErrorEntry[] | null | undefined): string[] {
  return (errors ?? []).map((entry) => `${entry.PropertyName ?? ''} ${entry.ErrorMessage ?? ''}`)
}

function bad (op: UpstreamOp, what: string, status: number): GootenError {
  return new GootenError('bad_response', op, `Gooten answered ${what}`, { status })
}

function credentialsRefused (op: UpstreamOp, status: number): GootenError {
  return new GootenError('credentials_refused', op, 'Gooten refused the configured credentials', { status })
}

/** Failures common to both calls: HTTP status, non-JSON bodies, ASP.NET `Message` bodies. */
function commonFailure (op: UpstreamOp, answer: RawAnswer): GootenError | { json: unknown } {
  const { status, body } = answer
  if (status === 401 || status === 403) return credentialsRefused(op, status)
  if (RETRYABLE_STATUSES.has(status)) {
    return new GootenError('unavailable', op, `Gooten answered HTTP ${status}`, {
      status,
      ...(answer.retryAfterMs === undefined ? {} : { retryAfterMs: answer.retryAfterMs })
    })
  }
  if (body.kind === 'html') return bad(op, 'an HTML page', status)
  if (body.kind === 'invalid_json') return bad(op, 'invalid JSON', status)
  if (body.kind === 'empty') return status === 404 && op === 'getOrder' ? notFound() : bad(op, 'an empty body', status)
  const json = body.value
  if (isMessageOnly.Check(json)) {
    return CREDENTIAL_WORDS.test(json.Message) ? credentialsRefused(op, status) : bad(op, 'an error message', status)
  }
  return { json }
}

function notFound (): GootenError {
  return new GootenError('not_found', 'getOrder', 'Gooten has no such order', { status: 404 })
}

export function interpretOrder (answer: RawAnswer): GootenOrder {
  const common = commonFailure('getOrder', answer)
  if (common instanceof GootenError) throw common
  const { json } = common
  // ASP.NET Web API answers `null` for a missing resource.
  if (json === null) throw notFound()
  if (isEnvelope.Check(json) && json.HadError) {
    const messages = messagesOf(json.Errors)
    if (messages.some((m) => CREDENTIAL_WORDS.test(m))) throw credentialsRefused('getOrder', answer.status)
    if (answer.status === 404 || messages.some((m) => NOT_FOUND_WORDS.test(m))) throw notFound()
    throw bad('getOrder', 'HadError', answer.status)
  }
  if (answer.status === 404) throw notFound()
  if (answer.status < 200 || answer.status > 299) throw bad('getOrder', `HTTP ${answer.status}`, answer.status)
  if (!isOrderDocument.Check(json)) throw unreadableOrder(unreadableReason(json), answer.status)
  return toOrder(json)
}

/**
 * A readable answer about one order that we cannot use: that order's problem, not a sign that
 * Gooten is down (the circuit breaker does not count it).
 */
export function unreadableOrder (reason: UnreadableReason, status: number): GootenError {
  return new GootenError('order_unreadable', 'getOrder', 'Gooten\'s document for this order cannot be used', { status, unreadable: reason })
}

/** An order document whose items are all objects, one of which has no text Status, lacks a status; anything else is a shape we do not know. */
function unreadableReason (json: unknown): UnreadableReason {
  const items = (json as { Items?: unknown } | null)?.Items
  if (!Array.isArray(items) || !items.every((item) => typeof item === 'object' && item !== null)) return 'unknown_shape'
  return items.some((item: { Status?: unknown }) => typeof item.Status !== 'string') ? 'item_without_status' : 'unknown_shape'
}

function refusalReason (entry: ErrorEntry): RefusalReason {
  const text = `${entry.PropertyName ?? ''} ${entry.ErrorMessage ?? ''}`
  if (STATUS_WORDS.test(text)) return 'not_cancellable_status'
  if (FOR_NOW_WORDS.test(text)) return 'not_cancellable_now'
  if (ITEM_MISSING_WORDS.test(text)) return 'not_in_order'
  return 'unrecognised'
}

/**
 * The item a refusal is about, only where Gooten names it in a field meant for a value:
 * AttemptedValue (FluentValidation's field for the value refused), or a PropertyName that is
 * exactly an id. Digits in the message are never read as an id: "…at 2025-01-01…" is a date,
 * not item 2025. An entry that names no requested id leaves its item to a lookup.
 */
function refusedItemId (entry: ErrorEntry, requested: ReadonlySet<number>): number | null {
  for (const candidate of [entry.AttemptedValue, entry.PropertyName]) {
    const id = toId(typeof candidate === 'string' ? candidate.trim() : candidate)
    if (id !== null && requested.has(id)) return id
  }
  return null
}

export function interpretCancel (answer: RawAnswer, requestedIds: readonly number[]): GootenCancelReply {
  const common = commonFailure('cancelItems', answer)
  if (common instanceof GootenError) throw common
  const { json } = common
  if (answer.status < 200 || answer.status > 299) {
    // A refusal may come with a 4xx status; only a readable cancel answer is trusted.
    if (!isCancelReply.Check(json)) throw bad('cancelItems', `HTTP ${answer.status}`, answer.status)
  }
  if (!isCancelReply.Check(json)) throw bad('cancelItems', 'a cancel reply of unknown shape', answer.status)
  const messages = messagesOf(json.Errors)
  if (json.HadError && (json.Success ?? []).length === 0 && messages.some((m) => CREDENTIAL_WORDS.test(m))) {
    throw credentialsRefused('cancelItems', answer.status)
  }
  const requested = new Set(requestedIds)
  const succeeded = (json.Success ?? []).map(toId).filter((id): id is number => id !== null && requested.has(id))
  const refusals = new Map<number, RefusalReason>()
  let unattributed = 0
  for (const entry of json.Errors ?? []) {
    const itemId = refusedItemId(entry, requested)
    if (itemId === null) unattributed++
    else refusals.set(itemId, refusalReason(entry))
  }
  // An answer that names none of the items (`{"HadError":false}`, a bare message) says nothing about
  // what happened: the service reads the order again rather than report them refused. So does one
  // whose refusals name no item while an item is neither confirmed nor refused by id: the refusal
  // may or may not be about it.
  const unaccounted = requestedIds.some((id) => !refusals.has(id) && !succeeded.includes(id))
  if ((succeeded.length === 0 && refusals.size === 0) || (unattributed > 0 && unaccounted)) {
    throw bad('cancelItems', 'a cancel reply that does not say what happened to every item', answer.status)
  }
  return { succeeded, refusals }
}
