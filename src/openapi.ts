import { buildApp } from './app.js'
import { loadConfig } from './config.js'

/** Recursively sorts object keys so the committed document diffs cleanly. */
function sortKeys (value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys)
  if (value === null || typeof value !== 'object') return value
  return Object.fromEntries(Object.keys(value).sort().map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]))
}

/** The OpenAPI document, built from the route schemas without listening or calling Gooten. */
export async function openapiDocument (): Promise<unknown> {
  const config = loadConfig({
    GOOTEN_RECIPE_ID: 'openapi-generation',
    GOOTEN_PARTNER_BILLING_KEY: 'openapi-generation',
    LOG_LEVEL: 'silent'
  })
  const app = await buildApp({ config })
  try {
    await app.ready()
    return sortKeys(app.swagger())
  } finally {
    await app.close()
  }
}

export function serialise (document: unknown): string {
  return `${JSON.stringify(sortKeys(document), null, 2)}\n`
}
