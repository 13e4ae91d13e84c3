import { createHash, randomBytes } from 'node:crypto'
import type { Static } from '@sinclair/typebox'
import type { CancelOutcome, CancelRequest, OrderView } from '../cancellation/types.js'
import type { CallContext } from '../gooten/client.js'
import { toProblem } from '../http/error-mapping.js'
import { saysTryAgain, type ProblemCode } from '../problems/catalogue.js'
import type { ConfirmationStore } from '../stores/confirmations/types.js'
import { ANSWER_TTL_MS, type IdempotencyStore } from '../stores/idempotency/types.js'
import type { ConfirmOutput, PreviewOutput } from './schemas.js'

type LogMethod = (fields: object, message: string) => void

/** Who is calling a tool, and the request it came in (its deadline, log and id). */
export interface ToolRequest {
  caller: string
  /** The person behind the caller (a token's `sub`), and who acts for them (`act.sub`); undefined for a caller key. */
  subject: string | undefined
  actor: string | undefined
  readOnly: boolean
  requestId: string
  upstream: CallContext
  log: { info: LogMethod, warn: LogMethod, error: LogMethod }
}

/** Refusals of the MCP tools themselves, beside the service's problem codes. */
export type ToolRefusalCode =
  | 'READ_ONLY_CALLER'
  | 'CONFIRMATION_UNKNOWN'
  | 'CONFIRMATION_EXPIRED'
  | 'CONFIRMATION_OF_ANOTHER_CALLER'
  | 'CONFIRMATION_IN_USE'

/** A refusal in our words, with the per-item picture when there is one. */
export interface ToolFailure { ok: false, code: ProblemCode | ToolRefusalCode, detail: string, items?: unknown[], requestId?: string }

/** A tool's answer: a result or a refusal (plain data, so a confirm's can be stored and replayed). */
export type ToolOutcome<T> = { ok: true, result: T } | ToolFailure

export type PreviewResult = Static<typeof PreviewOutput>
export type ConfirmResult = Static<typeof ConfirmOutput>

interface Domain {
  view: (orderId: string, context: CallContext) => Promise<OrderView>
  cancel: (request: CancelRequest, context: CallContext) => Promise<CancelOutcome>
}

export interface PreviewedCancellationsOptions {
  cancellation: Domain
  confirmations: ConfirmationStore
  idempotency: IdempotencyStore
  confirmationTtlMs: number
  /** Epoch milliseconds; tests move it to expire confirmations. */
  now: () => number
  /** Writes the audit line of a cancel or preview (caller, order, items, outcome, and that it came through MCP). */
  audit: (request: ToolRequest, fields: { orderId: string, itemIds: readonly number[], reason: string | undefined, dryRun: boolean, outcome: string }) => void
}

// A used confirmation's record outlives its validity by this much, so asking again replays its result
// instead of calling it unknown.
const KEPT_AFTER_EXPIRY_MS = 60 * 60 * 1000

/** The store key of a confirmation: a hash, so the confirmation itself is never written anywhere. */
const keyOf = (confirmation: string): string => createHash('sha256').update(confirmation).digest('hex')

const refused = (code: ToolRefusalCode, detail: string): ToolFailure => ({ ok: false, code, detail })

/** An error as the outcome a caller sees: our problem code and words, with the per-item picture when there is one. */
export function failed (error: unknown): ToolFailure & { unexpected: boolean, retryable: boolean } {
  const problem = toProblem(error)
  const items = problem.body?.items as unknown[] | undefined
  return {
    ok: false,
    code: problem.code,
    detail: problem.detail,
    ...(items === undefined ? {} : { items }),
    unexpected: problem.unexpected === true,
    // As with Idempotency-Key: an answer that says "try again" is not kept, so the retry runs.
    retryable: saysTryAgain(problem.code)
  }
}

/**
 * The MCP tools' rules around the cancellation domain: a cancel runs only from a preview's
 * confirmation, which is single use (the idempotency store's atomic claim, shared by replicas),
 * short-lived, and bound to the caller, the order and the items it was issued for.
 */
export class PreviewedCancellations {
  constructor (private readonly options: PreviewedCancellationsOptions) {}

  async list (request: ToolRequest, orderId: string): Promise<ToolOutcome<OrderView>> {
    return { ok: true, result: await this.options.cancellation.view(orderId, request.upstream) }
  }

  async preview (request: ToolRequest, orderId: string, itemIds: readonly number[]): Promise<ToolOutcome<PreviewResult>> {
    const outcome = await this.#audited(request, { orderId, itemIds, reason: undefined, dryRun: true })
    const result = { ...outcome, requestId: request.requestId }
    if (request.readOnly || !outcome.items.some((item) => item.result === 'would_cancel')) return { ok: true, result }
    const { confirmationTtlMs, now, confirmations } = this.options
    const confirmation = randomBytes(32).toString('base64url')
    const expiresAt = now() + confirmationTtlMs
    await confirmations.issue(keyOf(confirmation), { caller: request.caller, subject: request.subject ?? null, orderId, itemIds: [...itemIds], expiresAt }, confirmationTtlMs + KEPT_AFTER_EXPIRY_MS)
    return { ok: true, result: { ...result, confirmation, confirmationExpiresAt: new Date(expiresAt).toISOString() } }
  }

  async confirm (request: ToolRequest, confirmation: string, reason: string | undefined): Promise<ToolOutcome<ConfirmResult>> {
    if (request.readOnly) {
      return refused('READ_ONLY_CALLER', 'This caller may list items and preview cancellations but not confirm them: its access is read-only. Nothing was cancelled.')
    }
    const key = keyOf(confirmation)
    const record = await this.options.confirmations.read(key)
    if (record === undefined) {
      return refused('CONFIRMATION_UNKNOWN', 'This confirmation is not one this service issued, or it expired over an hour ago. Nothing was cancelled; run preview_cancellation again.')
    }
    // Bound to the person as well: another user of the same assistant cannot confirm what was shown to someone else.
    if (record.caller !== request.caller || record.subject !== (request.subject ?? null)) {
      return refused('CONFIRMATION_OF_ANOTHER_CALLER', 'This confirmation was issued to another caller and only that caller may use it. Nothing was cancelled.')
    }
    const { idempotency } = this.options
    const claim = await idempotency.claim(`mcp-confirmation:${key}`, `${record.orderId}|${record.itemIds.join(',')}`)
    if (claim.kind === 'replay') {
      const first = JSON.parse(claim.answer.body) as ToolOutcome<ConfirmResult>
      return first.ok ? { ok: true, result: { ...first.result, replayed: true } } : first
    }
    // 'mismatch' cannot happen: the key names one record, and the fingerprint is that record's.
    if (claim.kind !== 'claimed') {
      return refused('CONFIRMATION_IN_USE', 'This confirmation is being carried out by another call right now. Call confirm_cancellation again in a moment to get its result; nothing will be cancelled twice.')
    }
    if (this.options.now() >= record.expiresAt) {
      await idempotency.release(claim.claim)
      return refused('CONFIRMATION_EXPIRED', 'This confirmation has expired. Nothing was cancelled; run preview_cancellation again and show the person the new preview.')
    }
    let outcome: ToolOutcome<ConfirmResult>
    try {
      const cancelled = await this.#audited(request, { orderId: record.orderId, itemIds: record.itemIds, reason, dryRun: false })
      outcome = { ok: true, result: { ...cancelled, requestId: request.requestId } }
    } catch (error) {
      const { unexpected, retryable, ...answer } = failed(error)
      if (retryable) {
        await idempotency.release(claim.claim).catch(() => {})
        if (unexpected) throw error
        return answer
      }
      // Kept with the id of the request that ran it, as a replayed result keeps its own.
      outcome = { ...answer, requestId: request.requestId }
    }
    try {
      await idempotency.complete(claim.claim, { status: 200, contentType: 'application/json', body: JSON.stringify(outcome) }, ANSWER_TTL_MS)
    } catch {
      // The result still goes out; the claim expires on its own, and Gooten shows the items cancelled.
      request.log.warn({ store: 'idempotency' }, 'could not record the result of an MCP confirmation')
    }
    return outcome
  }

  async #audited (request: ToolRequest, fields: { orderId: string, itemIds: readonly number[], reason: string | undefined, dryRun: boolean }): Promise<CancelOutcome> {
    try {
      const outcome = await this.options.cancellation.cancel({ orderId: fields.orderId, itemIds: fields.itemIds, dryRun: fields.dryRun }, request.upstream)
      this.options.audit(request, { ...fields, outcome: outcome.outcome })
      return outcome
    } catch (error) {
      this.options.audit(request, { ...fields, outcome: toProblem(error).code })
      throw error
    }
  }
}
