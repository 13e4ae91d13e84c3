import { deflateRawSync, inflateRawSync } from 'node:zlib'
import type { StoredAnswer } from './types.js'

/**
 * An answer as a record keeps it: status, content type and the body deflated, in one string. Our
 * answers repeat themselves (a 100-item 422 says the same sentence a hundred times), so a record
 * takes a tenth of the body's bytes, in the process and in Redis (docs/reliability.md has the figures).
 */
export function packAnswer ({ status, contentType, body }: StoredAnswer): string {
  return `${status}\n${contentType}\n${deflateRawSync(body).toString('base64')}`
}

export function unpackAnswer (packed: string): StoredAnswer {
  const first = packed.indexOf('\n')
  const second = packed.indexOf('\n', first + 1)
  return {
    status: Number(packed.slice(0, first)),
    contentType: packed.slice(first + 1, second),
    body: inflateRawSync(Buffer.from(packed.slice(second + 1), 'base64')).toString('utf8')
  }
}
