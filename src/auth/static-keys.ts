import { createHash, timingSafeEqual } from 'node:crypto'
import type { CallerKey } from '../config.js'
import { keyScopes, type CallerContext } from './caller.js'

interface KnownKey {
  digest: Buffer
  context: CallerContext
}

// Comparing fixed-length digests keeps the comparison's time independent of the key's length and content.
const digestOf = (key: string): Buffer => createHash('sha256').update(key).digest()

/** One generation of caller keys (API_KEYS): a name may hold several, for a rotation that overlaps. */
export class StaticKeyRing {
  readonly #known: KnownKey[]

  constructor (keys: readonly CallerKey[]) {
    this.#known = keys.map(({ name, key, readOnly }) => ({
      digest: digestOf(key.reveal()),
      context: { caller: name, subject: undefined, actor: undefined, scopes: keyScopes(readOnly), via: 'key' }
    }))
  }

  /** The caller this key belongs to, or undefined. */
  identify (presented: string): CallerContext | undefined {
    const digest = digestOf(presented)
    // Check every key, so the time taken does not tell which key came close.
    let found: CallerContext | undefined
    for (const candidate of this.#known) {
      if (timingSafeEqual(candidate.digest, digest)) found = candidate.context
    }
    return found
  }
}
