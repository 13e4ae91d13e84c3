// What no log line, answer or exported span may hold: Gooten's credentials and the caller keys.
// Here, beside the adapter that knows Gooten's parameter names, so that the request path and the
// tracing exporter share it without the first loading anything of OpenTelemetry.
export const REDACTED = 'REDACTED'

/**
 * Gooten's credential parameters, matched without regard to case as Gooten reads them. Only the value
 * is replaced: the semantic conventions keep the key, so a reader still sees which credential was sent.
 */
const CREDENTIAL_PARAMETERS = /(^|[?&;])(recipeid|partnerbillingkey)=[^&#\s]*/gi

/** Below this length a value is too likely to occur by chance to be replaced wherever it appears. */
const MIN_SCRUBBED_LENGTH = 8

export type Redactor = (text: string) => string

/** One character as it may appear in text: itself, or its UTF-8 bytes percent-encoded in either hex case. */
function characterForms (character: string): string {
  const raw = character.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&')
  const encoded = [...Buffer.from(character)]
    .map((byte) => '%' + byte.toString(16).padStart(2, '0').replace(/[a-f]/g, (digit) => `[${digit}${digit.toUpperCase()}]`))
    .join('')
  return `(?:${raw}|${encoded})`
}

/**
 * Replaces every credential query parameter's value, then every occurrence of a known secret (the
 * credentials and the caller keys), each character raw or percent-encoded in either hex case, as a
 * client may send it: the second catches a secret in any other shape.
 */
export function credentialRedactor (secrets: readonly string[]): Redactor {
  const known = [...new Set(secrets.filter((secret) => secret.length >= MIN_SCRUBBED_LENGTH))]
    // Longest first, so a secret that contains another is replaced whole.
    .sort((a, b) => b.length - a.length)
  // With no secret long enough, a pattern that never matches.
  const anywhere = new RegExp(known.map((secret) => [...secret].map(characterForms).join('')).join('|') || '(?!)', 'g')
  return (text) => text.replace(CREDENTIAL_PARAMETERS, `$1$2=${REDACTED}`).replace(anywhere, REDACTED)
}
