import { JWT_SHAPE } from '../config.js'

/**
 * Longer than any access token a provider issues for this service (a few hundred bytes to 2 KiB), and
 * far below Node's 16 KiB header limit: a larger value is refused before any parsing.
 */
export const MAX_CREDENTIAL_LENGTH = 8192

export type Credential =
  | { kind: 'missing' }
  /** An Authorization header that is not `Bearer <visible characters>`. */
  | { kind: 'malformed' }
  /** Longer than MAX_CREDENTIAL_LENGTH: refused unread. */
  | { kind: 'oversized' }
  | { kind: 'token', value: string }
  | { kind: 'key', value: string }

const BEARER = /^Bearer +(\S+)$/i
const VISIBLE_ASCII = /^[\x21-\x7e]+$/

/** What the Authorization header carries: a three-part JWT-shaped value is an access token, anything else a caller key. */
export function readCredential (header: string | undefined): Credential {
  if (header === undefined) return { kind: 'missing' }
  if (header.length > MAX_CREDENTIAL_LENGTH + 'Bearer '.length) return { kind: 'oversized' }
  const value = BEARER.exec(header)?.[1]
  if (value === undefined || !VISIBLE_ASCII.test(value)) return { kind: 'malformed' }
  return JWT_SHAPE.test(value) ? { kind: 'token', value } : { kind: 'key', value }
}
