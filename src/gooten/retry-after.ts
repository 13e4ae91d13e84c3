const IMF_FIXDATE = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), [0-9]{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2} GMT$/

/**
 * The longest wait we take from Gooten, and pass on to callers: a minute. A larger value (a
 * misconfigured proxy, a date years ahead) would tell our callers to stop cancelling for hours,
 * while the circuit breaker already probes Gooten again every CIRCUIT_OPEN_MS.
 */
export const MAX_RETRY_AFTER_MS = 60_000

/** Parses an HTTP Retry-After value (delta-seconds or HTTP-date) into milliseconds from `now`, at most a minute. */
export function parseRetryAfter (value: string | string[] | undefined, now = Date.now()): number | undefined {
  const raw = Array.isArray(value) ? value[0] : value
  if (raw === undefined) return undefined
  const trimmed = raw.trim()
  if (/^[0-9]{1,9}$/.test(trimmed)) return Math.min(MAX_RETRY_AFTER_MS, Number(trimmed) * 1000)
  // Only the IMF-fixdate form HTTP requires: Date.parse alone accepts "-1" or "foo 2099".
  if (!IMF_FIXDATE.test(trimmed)) return undefined
  return Math.min(MAX_RETRY_AFTER_MS, Math.max(0, Date.parse(trimmed) - now))
}
