import closeWithGrace from 'close-with-grace'
import { loadConfig, type Config, type ConfigError } from './config.js'

function configOrExit (): Config {
  try {
    return loadConfig(process.env)
  } catch (error) {
    // One line naming every bad variable, never a value (loadConfig throws only ConfigError).
    process.stderr.write(`Invalid configuration: ${(error as ConfigError).message}\n`)
    process.exit(1)
  }
}

/** Left of the grace period after the trace flush, so the exit is ours and not the timeout's. */
const SHUTDOWN_MARGIN_MS = 200

const config = configOrExit()
// The credentials and keys in force, shared by the app and the tracing exporter's redactor.
const { LiveSecrets } = await import('./secrets/live-secrets.js')
const secrets = new LiveSecrets(config)
// Only when configured: without it no OpenTelemetry module is ever loaded. Before the app, so the
// SDK is in place before anything it observes loads.
const tracing = config.tracing === undefined
  ? undefined
  : (await import('./telemetry/sdk.js')).startTracing(config, config.tracing, secrets.redact)
// Loaded only once the configuration is known good, so a bad one fails fast.
const { buildApp } = await import('./app.js')
const app = await buildApp({ config, processMetrics: true, tracing: tracing?.hooks, secrets })
if (!app.authenticator.required) {
  app.log.warn('API_KEYS is not set (nor API_KEYS_FILE or OIDC_ISSUER): /orders routes accept every caller without authentication')
}

// SIGTERM: readiness turns 503 at once, in-flight requests finish, then the process exits;
// a second signal, or the grace period running out, exits at once.
closeWithGrace({ delay: config.shutdownTimeoutMs }, async ({ signal, err }) => {
  const deadline = Date.now() + config.shutdownTimeoutMs
  // `err` is set when an uncaught error, not a signal, started the shutdown.
  app.log.warn({ signal, err }, 'shutting down')
  await app.readiness.drain()
  await app.close()
  // The spans of the last requests go out too, in what is left of the grace period.
  const flushed = await tracing?.shutdown(Math.max(0, deadline - Date.now() - SHUTDOWN_MARGIN_MS))
  if (flushed === false) app.log.warn('the last spans could not be exported: the collector refused them or did not answer in time')
})

await app.listen({ host: config.host, port: config.port })
