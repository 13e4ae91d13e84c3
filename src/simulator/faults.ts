/**
 * Scriptable misbehaviour: the kinds of fault, their validation, and the queue they wait in
 * (how each kind plays is in fault-play.ts). Faults wait in a FIFO; each Gooten request
 * (getOrder or cancelItems) takes the first fault whose `op` matches (no `op` = any op) and
 * uses up one of its `times` (default 1; `Infinity` or `-1` = forever).
 */

export type FaultOp = 'getOrder' | 'cancelItems'

interface FaultCommon {
  /** Which Gooten call this fault hits; omitted = the next call of any kind. */
  op?: FaultOp
  /** How many calls it hits: default 1; `Infinity` or `-1` = every call, forever. */
  times?: number
}

/** Answer this HTTP status (default body `{"Message":"An error has occurred."}`). Nothing applied. */
export interface StatusFault extends FaultCommon {
  kind: 'status'
  status: number
  retryAfter?: string
  body?: string
  contentType?: string
}
/** Wait, then answer normally; if the client left meanwhile, nothing is applied. */
export interface DelayFault extends FaultCommon { kind: 'delay', ms: number }
/** Never answer; the request counts as aborted when the client gives up. */
export interface HangFault extends FaultCommon { kind: 'hang' }
/** 200 `text/html` error page. */
export interface HtmlFault extends FaultCommon { kind: 'html' }
/** 200 `application/json` with truncated JSON. */
export interface InvalidJsonFault extends FaultCommon { kind: 'invalid-json' }
/** 200 Gooten error envelope `{"HadError":true,...}`. */
export interface HadErrorFault extends FaultCommon { kind: 'had-error', message?: string }
/** 200 ASP.NET-style `{"Message":...}`. */
export interface MessageFault extends FaultCommon { kind: 'message', message?: string }
/** 200 `{"Result":{"Foo":1}}`. */
export interface WrongShapeFault extends FaultCommon { kind: 'wrong-shape' }
/** 200 `application/json`, 17 MiB of valid JSON (over the service's 6 MiB cap). */
export interface HugeFault extends FaultCommon { kind: 'huge' }
/** Cancel only: these item ids are refused even if cancellable; the rest proceed. */
export interface RefuseFault extends FaultCommon { kind: 'refuse', op?: 'cancelItems', itemIds: number[] }
/** Destroy the socket without answering. Nothing applied. */
export interface ResetFault extends FaultCommon { kind: 'reset' }
/** Cancel only: apply the cancel, then destroy the socket without answering. */
export interface ResetAfterApplyFault extends FaultCommon { kind: 'reset-after-apply', op?: 'cancelItems' }
/**
 * Cancel only: apply the cancel, then answer 200 `{"HadError":false}`, naming no item. Gooten
 * documents its cancel answer by a single example, so a success without `Success` is plausible.
 */
export interface BareAnswerAfterApplyFault extends FaultCommon { kind: 'bare-answer-after-apply', op?: 'cancelItems' }
/**
 * Cancel only: apply the cancel, then answer 200 `HadError` with one error entry holding `message`
 * and naming no item in `AttemptedValue` (its text may hold digits that are not ids, a date say).
 */
export interface HadErrorAfterApplyFault extends FaultCommon { kind: 'had-error-after-apply', op?: 'cancelItems', message?: string }
/**
 * Cancel only: hold the answer for `ms`, then apply the cancel whether or not the client is still
 * there, and answer if it is. Gooten runs on IIS / ASP.NET, which runs a request to completion
 * after its client hung up (up to its execution timeout, 110 s by default): a cancel the client
 * gave up on may still be applied, after the client has looked and seen it not applied.
 */
export interface LateApplyFault extends FaultCommon { kind: 'late-apply', op?: 'cancelItems', ms: number }
/** Answer normally, with `Connection: close`. */
export interface CloseKeepAliveFault extends FaultCommon { kind: 'close-keepalive' }

export type Fault =
  | StatusFault
  | DelayFault
  | HangFault
  | HtmlFault
  | InvalidJsonFault
  | HadErrorFault
  | MessageFault
  | WrongShapeFault
  | HugeFault
  | RefuseFault
  | ResetFault
  | ResetAfterApplyFault
  | BareAnswerAfterApplyFault
  | HadErrorAfterApplyFault
  | LateApplyFault
  | CloseKeepAliveFault

export type FaultKind = Fault['kind']

export const FAULT_KINDS: readonly FaultKind[] = [
  'status', 'delay', 'hang', 'html', 'invalid-json', 'had-error', 'message',
  'wrong-shape', 'huge', 'refuse', 'reset', 'reset-after-apply', 'bare-answer-after-apply', 'had-error-after-apply',
  'late-apply', 'close-keepalive'
]

/** Kinds that only make sense on a cancel; their `op` is always `cancelItems`. */
const CANCEL_ONLY = new Set<FaultKind>(['refuse', 'reset-after-apply', 'bare-answer-after-apply', 'had-error-after-apply', 'late-apply'])
const KINDS = new Set<string>(FAULT_KINDS)

export class FaultError extends Error {
  override name = 'FaultError'
}

function isRecord (value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function optionalString (raw: Record<string, unknown>, key: string): void {
  if (raw[key] !== undefined && typeof raw[key] !== 'string') throw new FaultError(`fault.${key} must be a string`)
}

/**
 * Validate and normalise one fault (from JS or from JSON): `times` becomes a
 * positive integer or `Infinity`, and cancel-only kinds get `op: 'cancelItems'`.
 * Throws `FaultError` on anything malformed.
 */
export function parseFault (raw: unknown): Fault {
  if (!isRecord(raw)) throw new FaultError('a fault must be an object')
  const kind = raw.kind
  if (typeof kind !== 'string' || !KINDS.has(kind)) {
    throw new FaultError(`fault.kind must be one of ${FAULT_KINDS.join(', ')}`)
  }
  const op = raw.op
  if (op !== undefined && op !== 'getOrder' && op !== 'cancelItems') {
    throw new FaultError('fault.op must be getOrder or cancelItems')
  }
  if (CANCEL_ONLY.has(kind as FaultKind) && op === 'getOrder') {
    throw new FaultError(`a ${kind} fault applies to cancelItems only`)
  }
  let times = raw.times ?? 1
  if (times === -1) times = Infinity
  if (typeof times !== 'number' || !(times === Infinity || (Number.isInteger(times) && times >= 1))) {
    throw new FaultError('fault.times must be a positive integer, -1 or Infinity')
  }
  switch (kind) {
    case 'status':
      if (typeof raw.status !== 'number' || !Number.isInteger(raw.status) || raw.status < 200 || raw.status > 599) {
        throw new FaultError('fault.status must be an integer from 200 to 599')
      }
      optionalString(raw, 'retryAfter')
      optionalString(raw, 'body')
      optionalString(raw, 'contentType')
      break
    case 'delay':
    case 'late-apply':
      if (typeof raw.ms !== 'number' || !Number.isFinite(raw.ms) || raw.ms < 0) {
        throw new FaultError('fault.ms must be a finite number >= 0')
      }
      break
    case 'had-error':
    case 'had-error-after-apply':
    case 'message':
      optionalString(raw, 'message')
      break
    case 'refuse':
      if (!Array.isArray(raw.itemIds) || !raw.itemIds.every(Number.isInteger)) {
        throw new FaultError('fault.itemIds must be an array of integers')
      }
      break
  }
  const fault = { ...raw, times } as Record<string, unknown>
  if (CANCEL_ONLY.has(kind as FaultKind)) fault.op = 'cancelItems'
  return fault as unknown as Fault
}

interface Entry {
  fault: Fault
  left: number
}

export class FaultQueue {
  #entries: Entry[] = []

  /** Validate every fault first, then queue them all (all or nothing). Returns how many were queued. */
  enqueue (faults: unknown): number {
    const list = Array.isArray(faults) ? faults : [faults]
    const parsed = list.map(parseFault)
    for (const fault of parsed) this.#entries.push({ fault, left: fault.times as number })
    return parsed.length
  }

  /** The fault for the next `op` call, if any; uses up one of its `times`. */
  take (op: FaultOp): Fault | undefined {
    const entries = this.#entries
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i] as Entry
      if (entry.fault.op === undefined || entry.fault.op === op) {
        if (--entry.left === 0) entries.splice(i, 1)
        return entry.fault
      }
    }
    return undefined
  }

  clear (): void {
    this.#entries = []
  }

  /** Faults still queued, with `times` = calls left (`-1` = forever), JSON-safe. */
  pending (): Fault[] {
    return this.#entries.map(({ fault, left }) => ({ ...fault, times: left === Infinity ? -1 : left }))
  }
}
