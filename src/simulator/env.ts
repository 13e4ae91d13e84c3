import { DEFAULT_PARTNER_BILLING_KEY, DEFAULT_RECIPE_ID } from './server.js'
import type { SimulatorOptions } from './server.js'

function integer (env: NodeJS.ProcessEnv, name: string, fallback: number, max: number): number {
  const raw = env[name]
  if (raw === undefined || raw === '') return fallback
  const n = Number(raw)
  if (!Number.isInteger(n) || n < 0 || n > max) throw new Error(`${name} must be an integer from 0 to ${max}, got ${JSON.stringify(raw)}`)
  return n
}

function oneOf<T extends string> (env: NodeJS.ProcessEnv, name: string, allowed: readonly T[]): T | undefined {
  const raw = env[name]
  if (raw === undefined || raw === '') return undefined
  if (!(allowed as readonly string[]).includes(raw)) throw new Error(`${name} must be one of ${allowed.join(', ')}, got ${JSON.stringify(raw)}`)
  return raw as T
}

/**
 * Simulator options from the environment, as `main.ts` reads them:
 * `SIM_HOST` (127.0.0.1), `SIM_PORT` (4010), `GOOTEN_RECIPE_ID`,
 * `GOOTEN_PARTNER_BILLING_KEY`, `SIM_LATENCY_MS` (0), and optionally
 * `SIM_NOT_FOUND_STYLE` (404 | had-error-200) and `SIM_RECANCEL` (success | error).
 * Empty values count as unset. Throws on a malformed value.
 */
export function simulatorOptionsFromEnv (env: NodeJS.ProcessEnv): SimulatorOptions {
  const options: SimulatorOptions = {
    host: env.SIM_HOST || '127.0.0.1',
    port: integer(env, 'SIM_PORT', 4010, 65535),
    recipeId: env.GOOTEN_RECIPE_ID || DEFAULT_RECIPE_ID,
    partnerBillingKey: env.GOOTEN_PARTNER_BILLING_KEY || DEFAULT_PARTNER_BILLING_KEY,
    latencyMs: integer(env, 'SIM_LATENCY_MS', 0, 600_000)
  }
  const notFoundStyle = oneOf(env, 'SIM_NOT_FOUND_STYLE', ['404', 'had-error-200'] as const)
  if (notFoundStyle !== undefined) options.notFoundStyle = notFoundStyle
  const recancel = oneOf(env, 'SIM_RECANCEL', ['success', 'error'] as const)
  if (recancel !== undefined) options.recancel = recancel
  return options
}
