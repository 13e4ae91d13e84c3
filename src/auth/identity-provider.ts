import { discover, type ProviderMetadata } from './discovery.js'
import { KeySet, type JwksFetchOutcome } from './key-set.js'
import { TokenVerifier } from './token-verifier.js'
import type { OidcConfig } from '../config.js'

export interface IdentityProviderOptions {
  config: OidcConfig
  log: { info: (object: object, message: string) => void, warn: (object: object, message: string) => void }
  onJwksFetch: (outcome: JwksFetchOutcome) => void
  fetchImpl?: typeof fetch
  /** How often known keys are refreshed; REFRESH_MS unless a test shortens it. */
  refreshMs?: number
}

/** Each discovery or key fetch gives up after this long. */
const FETCH_TIMEOUT_MS = 5000
/** Retries at start: from 0.5 s, doubling, at most this far apart. */
const RETRY_CAP_MS = 30_000
/** Known keys are refreshed this often, so that a key the provider withdrew stops being trusted. */
const REFRESH_MS = 10 * 60_000

/**
 * The company's OpenID provider as this service sees it: discovery (the jwks_uri), then its keys.
 * Both are fetched at start and retried with backoff until they arrive, without blocking the start:
 * readiness waits for them at most OIDC_STARTUP_GRACE_MS (see health routes), and until they arrive a
 * token is answered 503 IDENTITY_PROVIDER_UNAVAILABLE while caller keys work. Once known, the keys are
 * refreshed every ten minutes and kept when the provider cannot be reached.
 */
export class IdentityProvider {
  #metadata: ProviderMetadata | undefined
  #keys: KeySet | undefined
  #verifier: TokenVerifier | undefined
  #timer: NodeJS.Timeout | undefined
  #closed = false
  readonly #startedAt = performance.now()

  readonly #refreshMs: number

  constructor (private readonly options: IdentityProviderOptions) {
    this.#refreshMs = options.refreshMs ?? REFRESH_MS
  }

  /** Set once the provider's keys have been fetched. */
  get verifier (): TokenVerifier | undefined {
    return this.#verifier
  }

  get metadata (): ProviderMetadata | undefined {
    return this.#metadata
  }

  /** True from start until the keys arrive or OIDC_STARTUP_GRACE_MS has passed: readiness waits meanwhile. */
  get holdsReadiness (): boolean {
    return this.#verifier === undefined && performance.now() - this.#startedAt < this.options.config.startupGraceMs
  }

  start (): void {
    this.#attempt(500)
  }

  close (): void {
    this.#closed = true
    clearTimeout(this.#timer)
  }

  #schedule (delayMs: number, run: () => void): void {
    if (this.#closed) return
    this.#timer = setTimeout(run, delayMs)
    // Never keeps the process alive on its own.
    this.#timer.unref()
  }

  /** Discovery (once it worked, not again), then the keys. */
  async #fetch (): Promise<KeySet> {
    const { config, fetchImpl, onJwksFetch } = this.options
    this.#metadata ??= await discover(config.issuer, FETCH_TIMEOUT_MS, fetchImpl)
    this.#keys ??= new KeySet({ jwksUri: this.#metadata.jwksUri, cooldownMs: config.jwksCooldownMs, timeoutMs: FETCH_TIMEOUT_MS, onFetch: onJwksFetch, fetchImpl })
    await this.#keys.refresh()
    return this.#keys
  }

  #attempt (retryMs: number): void {
    const { config, log } = this.options
    this.#fetch().then((keys) => {
      this.#verifier = new TokenVerifier({ issuer: config.issuer, audience: config.audience, keys })
      log.info({ issuer: config.issuer }, 'identity provider reached; access tokens are verified')
      this.#schedule(this.#refreshMs, () => { this.#refresh(keys) })
    }, (error: Error) => {
      // The message names what failed (discovery.ts), never a URL's query or a key.
      const reason = error.name === 'DiscoveryError' ? error.message : 'the provider\'s keys could not be fetched'
      log.warn({ retryInMs: retryMs, reason }, 'identity provider not reached; tokens are answered 503 until it is')
      this.#schedule(retryMs, () => { this.#attempt(Math.min(retryMs * 2, RETRY_CAP_MS)) })
    })
  }

  #refresh (keys: KeySet): void {
    keys.refresh().catch(() => {
      this.options.log.warn({}, 'the identity provider\'s keys could not be refreshed; the known keys stay in use')
    }).finally(() => {
      this.#schedule(this.#refreshMs, () => { this.#refresh(keys) })
    })
  }
}
