import closeWithGrace from 'close-with-grace'
import { loadConfig, type Config, type ConfigError } from './config.js'

function configOrExit (): Config {
  try {
    return loadConfig(process.env)
  } catch (error) {
    // One line naming the variable, never its value (loadConfig throws only ConfigError).
    process.stderr.write(`Invalid configuration: ${(error as ConfigError).message}\n`)
    process.exit(1)
  }
}

const config = configOrExit()
// Loaded only once the configuration is known good, so a bad one fails fast.
const { buildApp } = await import('./app.js')
const app = await buildApp({ config, processMetrics: true })
if (config.callerKeys === undefined) {
  app.log.warn('API_KEYS is not set: /orders routes accept every caller without authentication')
}

// SIGTERM: readiness turns 503 at once, in-flight requests finish, then the process exits;
// a second signal, or the grace period running out, exits at once.
closeWithGrace({ delay: config.shutdownTimeoutMs }, async ({ signal, err }) => {
  // `err` is set when an uncaught error, not a signal, started the shutdown.
  app.log.warn({ signal, err }, 'shutting down')
  await app.readiness.drain()
  await app.close()
})

await app.listen({ host: config.host, port: config.port })
