import { createRemoteJWKSet, customFetch, type RemoteJWKSet } from 'jose'

export type JwksFetchOutcome = 'ok' | 'failed' | 'held_back'

export interface KeySetOptions {
  jwksUri: URL
  /** An unknown `kid` refetches at most once per this many ms, whether the last fetch worked or not. */
  cooldownMs: number
  /** Each fetch's limit. */
  timeoutMs: number
  /** Told of every fetch, and of every one held back by the cooldown (metrics). */
  onFetch: (outcome: JwksFetchOutcome) => void
  fetchImpl?: typeof fetch
}

/** A fetch held back: an unknown `kid` came within the cooldown of the last attempt. */
export class FetchHeldBack extends Error {
  override name = 'FetchHeldBack'
}

/**
 * The provider's signing keys (JWKS), through jose's remote key set, which picks the key by `kid` and
 * `alg`, shares one fetch between concurrent requests and refetches on an unknown `kid`. Around it:
 * - keys never expire on their own (cacheMaxAge Infinity): a provider that cannot be reached does not
 *   take away keys already known; `refresh()` (a timer) replaces them when the provider answers;
 * - jose counts its cooldown from the last fetch that worked, so while the provider is down every
 *   unknown `kid` would fetch again; here every attempt counts instead, so a flood of made-up `kid`s
 *   makes at most one fetch per cooldown, whatever the provider does.
 */
export class KeySet {
  readonly resolve: RemoteJWKSet
  #lastAttempt = -Infinity
  #explicit = false

  constructor (private readonly options: KeySetOptions) {
    const fetchImpl = options.fetchImpl ?? fetch
    this.resolve = createRemoteJWKSet(options.jwksUri, {
      cacheMaxAge: Infinity,
      // The cooldown is ours (below), counted from every attempt.
      cooldownDuration: 0,
      timeoutDuration: options.timeoutMs,
      [customFetch]: async (url, init) => {
        const now = performance.now()
        if (!this.#explicit && now - this.#lastAttempt < options.cooldownMs) {
          options.onFetch('held_back')
          throw new FetchHeldBack('the provider\'s keys were fetched moments ago')
        }
        this.#lastAttempt = now
        try {
          const response = await fetchImpl(url, init)
          options.onFetch(response.status === 200 ? 'ok' : 'failed')
          return response
        } catch (error) {
          options.onFetch('failed')
          throw error
        }
      }
    })
  }

  /** Fetches the keys now, whatever the cooldown; on failure the keys already known stay. */
  async refresh (): Promise<void> {
    this.#explicit = true
    // jose calls the fetch synchronously inside reload(), so the flag covers exactly this call.
    const reloaded = this.resolve.reload()
    this.#explicit = false
    await reloaded
  }
}
