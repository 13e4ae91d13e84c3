/** What a caller may do on /orders: `orders:read` lists items and dry-runs; `orders:cancel` also cancels. */
export const SCOPES = ['orders:read', 'orders:cancel'] as const
export type Scope = typeof SCOPES[number]

/**
 * Who is calling, once authenticated: what the audit and access lines name, what rate limits and
 * Idempotency-Keys are counted under, and what the caller may do. The same for a caller key and a token.
 */
export interface CallerContext {
  /** The calling application: a caller key's name, a token's `azp` (or `client_id`), or 'anonymous'. */
  readonly caller: string
  /** The person or service the token was issued for (`sub`); undefined for a caller key. */
  readonly subject: string | undefined
  /** Who acts on the subject's behalf in a delegated token (`act.sub`, RFC 8693). */
  readonly actor: string | undefined
  readonly scopes: ReadonlySet<Scope>
  /** How the caller was recognised: a caller key, an access token, or not at all (authentication off). */
  readonly via: 'key' | 'token' | 'none'
}

const EVERYTHING: ReadonlySet<Scope> = new Set(SCOPES)
const READ_ONLY: ReadonlySet<Scope> = new Set(['orders:read'])

/** Every request when no authentication is configured. */
export const ANONYMOUS: CallerContext = { caller: 'anonymous', subject: undefined, actor: undefined, scopes: EVERYTHING, via: 'none' }

/** A caller key's scopes: read-only keys (`:ro`) read and dry-run, the others do everything. */
export function keyScopes (readOnly: boolean): ReadonlySet<Scope> {
  return readOnly ? READ_ONLY : EVERYTHING
}

/** `orders:cancel` includes what `orders:read` allows. */
export function allows (context: CallerContext, needed: Scope): boolean {
  return context.scopes.has(needed) || (needed === 'orders:read' && context.scopes.has('orders:cancel'))
}

/** Whether the caller may only read (list items, dry-run), for a client that shows or hides what it cannot do. */
export function isReadOnly (context: CallerContext): boolean {
  return !allows(context, 'orders:cancel')
}
