/** Parses an HTTP Retry-After value (delta-seconds or HTTP-date) into milliseconds from `now`. */
export function parseRetryAfter (value: string | string[] | undefined, now = Date.now()): number | undefined {
  const raw = Array.isArray(value) ? value[0] : value
  if (raw === undefined) return undefined
  const trimmed = raw.trim()
  if (/^[0-9]{1,9}$/.test(trimmed)) return Number(trimmed) * 1000
  const date = Date.parse(trimmed)
  if (Number.isNaN(date)) return undefined
  return Math.max(0, date - now)
}
