/**
 * A typed client for this service: openapi-fetch over the types `npm run client` generates from the
 * OpenAPI document into openapi/schema.d.ts (not committed: run it, or `npm run typecheck`, first).
 * Paths, parameters, bodies and answers are checked by TypeScript against the document;
 * test/client/example.test.ts compiles this file with examples/tsconfig.json against types it
 * generates afresh, and runs it against the service, so the two cannot drift apart.
 */
import createClient from 'openapi-fetch'
import type { components, paths } from '../openapi/schema.js'

export type CancelResult = components['schemas']['CancelResult']
export type Problem = components['schemas']['Problem']

/** The problem (RFC 9457) the service answered instead of a result. */
export class ProblemAnswer extends Error {
  override name = 'ProblemAnswer'

  constructor (readonly problem: Problem) {
    super(`${problem.code}: ${problem.detail} (request ${problem.requestId})`)
  }
}

/** A client for one deployment; the caller key is needed when the service has API_KEYS set. */
export function connect (baseUrl: string, callerKey?: string) {
  return createClient<paths>({ baseUrl, headers: callerKey === undefined ? {} : { authorization: `Bearer ${callerKey}` } })
}

export interface CancelOptions {
  reason?: string
  /** Send one per intended cancel and reuse it on retries: the service replays the first answer. */
  idempotencyKey?: string
  dryRun?: boolean
}

/** Cancels items of one order: the result, or a ProblemAnswer thrown with the service's problem. */
export async function cancelItems (client: ReturnType<typeof connect>, orderId: string, itemIds: number[], options: CancelOptions = {}): Promise<CancelResult> {
  const { data, error } = await client.POST('/orders/{orderId}/items/cancel', {
    params: {
      path: { orderId },
      query: options.dryRun === true ? { dryRun: 'true' } : {},
      header: options.idempotencyKey === undefined ? {} : { 'idempotency-key': options.idempotencyKey }
    },
    body: { itemIds, ...(options.reason === undefined ? {} : { reason: options.reason }) }
  })
  if (error !== undefined) throw new ProblemAnswer(error)
  return data
}
