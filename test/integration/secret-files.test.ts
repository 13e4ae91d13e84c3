import { once } from 'node:events'
import { mkdir, mkdtemp, readlink, rename, rm, symlink, writeFile } from 'node:fs/promises'
import { createServer, request as forward } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { SEED } from '../../src/simulator/seed.js'
import { startSimulator } from '../../src/simulator/server.js'
import { eventually } from '../helpers/eventually.js'
import { call, cancelPath, startStack, TEST_BILLING_KEY, TEST_RECIPE_ID, type Stack } from '../helpers/stack.js'

const { demo } = SEED
const OLD_KEY = 'support-old-key-0123456789'
const NEW_KEY = 'support-new-key-9876543210'
const RECIPE_1 = 'recipe-one-7c1e2a'
const BILLING_1 = 'billing+one/5f==aa'
const RECIPE_2 = 'recipe-two-3b9d4f'
const BILLING_2 = 'billing+two/8e==bb'

/**
 * A directory laid out as Kubernetes mounts a Secret volume: each file a symlink through `..data` to a
 * timestamped directory, and an update a new directory that `..data` is swapped to in one rename.
 */
class SecretVolume {
  #generation = 0
  private constructor (readonly dir: string) {}

  static async create (test: { teardown: (fn: () => unknown) => void }, files: Record<string, string>): Promise<SecretVolume> {
    const volume = new SecretVolume(await mkdtemp(join(tmpdir(), 'gop-secret-volume-')))
    test.teardown(async () => await rm(volume.dir, { recursive: true, force: true }))
    await volume.write(files)
    for (const name of Object.keys(files)) await symlink(join('..data', name), join(volume.dir, name))
    return volume
  }

  path (name: string): string {
    return join(this.dir, name)
  }

  async write (files: Record<string, string>): Promise<void> {
    const generation = `..2026_12_03_${++this.#generation}`
    await mkdir(join(this.dir, generation))
    for (const [name, content] of Object.entries(files)) await writeFile(join(this.dir, generation, name), content)
    const previous = await readlink(join(this.dir, '..data')).catch(() => undefined)
    await symlink(generation, join(this.dir, '..data_tmp'))
    await rename(join(this.dir, '..data_tmp'), join(this.dir, '..data'))
    if (previous !== undefined) await rm(join(this.dir, previous), { recursive: true })
  }
}

interface Seen { op: 'lookup' | 'cancel', recipeId: string, billingKey: string }

/**
 * Gooten as the service sees it during a rotation: the credentials in `accepted` are good (the
 * simulator is given its own), every call's credentials are recorded, and a lookup can be held.
 */
async function startCredentialGateway (test: { teardown: (fn: () => unknown) => void }, target: string) {
  const accepted = { recipeIds: new Set([RECIPE_1]), billingKeys: new Set([BILLING_1]) }
  const seen: Seen[] = []
  let hold: { reached: () => void, released: Promise<void> } | undefined
  const server = createServer((inbound, outbound) => {
    const url = new URL(inbound.url ?? '/', target)
    const params = new Map([...url.searchParams].map(([name, value]) => [name.toLowerCase(), value]))
    const entry: Seen = { op: url.pathname.toLowerCase().includes('cancel') ? 'cancel' : 'lookup', recipeId: params.get('recipeid') ?? '', billingKey: params.get('partnerbillingkey') ?? '' }
    seen.push(entry)
    // A lookup sends the recipe id only; a cancel both.
    if (!accepted.recipeIds.has(entry.recipeId) || (entry.op === 'cancel' && !accepted.billingKeys.has(entry.billingKey))) {
      outbound.writeHead(401, { 'content-type': 'application/json' }).end('{"Message":"Authorization has been denied for this request."}')
      return
    }
    url.searchParams.set('recipeid', TEST_RECIPE_ID)
    if (entry.op === 'cancel') url.searchParams.set('partnerBillingKey', TEST_BILLING_KEY)
    const held = entry.op === 'lookup' ? hold : undefined
    if (held !== undefined) hold = undefined
    const send = (): void => {
      const upstream = forward(url, { method: inbound.method, headers: { ...inbound.headers, host: url.host } }, (answer) => {
        outbound.writeHead(answer.statusCode ?? 502, answer.headers)
        answer.pipe(outbound)
      })
      inbound.pipe(upstream)
    }
    if (held === undefined) send()
    else {
      held.reached()
      held.released.then(send, () => {})
    }
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  test.teardown(async () => {
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => { resolve() }))
  })
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    accepted,
    seen,
    /** Holds the next lookup until `release()`; `reached` resolves when it arrives. */
    holdNextLookup () {
      let reached!: () => void
      let release!: () => void
      const arrived = new Promise<void>((resolve) => { reached = resolve })
      hold = { reached, released: new Promise<void>((resolve) => { release = resolve }) }
      return { arrived, release }
    }
  }
}

async function rotatingStack (t: Parameters<typeof startStack>[0], initial: Record<string, string>) {
  const volume = await SecretVolume.create(t, initial)
  const sim = await startSimulator({ recipeId: TEST_RECIPE_ID, partnerBillingKey: TEST_BILLING_KEY })
  t.teardown(async () => await sim.close())
  const gateway = await startCredentialGateway(t, sim.url)
  const stack = await startStack(t, {
    env: {
      API_KEYS_FILE: volume.path('API_KEYS'),
      GOOTEN_RECIPE_ID_FILE: volume.path('GOOTEN_RECIPE_ID'),
      GOOTEN_PARTNER_BILLING_KEY_FILE: volume.path('GOOTEN_PARTNER_BILLING_KEY'),
      SECRET_FILES_POLL_MS: '50',
      RATE_LIMIT_PER_MINUTE: '1000000',
      GOOTEN_BASE_URL: gateway.url
    }
  })
  return { volume, gateway, stack }
}

const reloads = (stack: Stack, outcome: 'reloaded' | 'refused', file: string): number =>
  stack.logs.find(outcome === 'reloaded' ? 'secret file reloaded; its new values are in force' : 'secret file refused; the previous values stay in force')
    .filter((line) => line.file === file).length

t.test('keys and Gooten credentials rotated through the files under load: no request fails', async (t) => {
  const { volume, gateway, stack } = await rotatingStack(t, { API_KEYS: `support:${OLD_KEY}\n`, GOOTEN_RECIPE_ID: `${RECIPE_1}\n`, GOOTEN_PARTNER_BILLING_KEY: BILLING_1 })
  let key = OLD_KEY
  const running = { stop: false }
  const statuses = new Map<number, number>()
  const inFlight = new Set<Promise<unknown>>()
  const worker = async (): Promise<void> => {
    // Bounded: at most 400 requests a worker, and the test's own timeout.
    for (let i = 0; i < 400 && !running.stop; i++) {
      const path = i % 2 === 0 ? `/orders/${demo.safeId}/items` : cancelPath(demo.safeId, '?dryRun=true')
      const pending = call(stack.url, path, { headers: { authorization: `Bearer ${key}` }, ...(i % 2 === 0 ? {} : { body: { itemIds: [demo.items.new] } }) })
      inFlight.add(pending)
      const answer = await pending.finally(() => inFlight.delete(pending))
      statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1)
    }
  }
  const load = Promise.all(Array.from({ length: 6 }, worker))
  await eventually('load running', () => (statuses.get(200) ?? 0) >= 20)

  // Step 1: the new key beside the old one, and new Gooten credentials (Gooten accepts both for now).
  gateway.accepted.recipeIds.add(RECIPE_2)
  gateway.accepted.billingKeys.add(BILLING_2)
  await volume.write({ API_KEYS: `support:${OLD_KEY}\nsupport:${NEW_KEY}\n`, GOOTEN_RECIPE_ID: RECIPE_2, GOOTEN_PARTNER_BILLING_KEY: BILLING_2 })
  await eventually('the three files reloaded', () => ['API_KEYS_FILE', 'GOOTEN_RECIPE_ID_FILE', 'GOOTEN_PARTNER_BILLING_KEY_FILE'].every((file) => reloads(stack, 'reloaded', file) === 1))
  key = NEW_KEY
  // Requests begun before the reload finish with the pair they began with (the next test holds
  // that), so the mark is taken once they have all answered.
  await Promise.allSettled([...inFlight])
  const afterFirst = gateway.seen.length
  await eventually('calls with the new credentials', () => gateway.seen.length > afterFirst + 20)
  t.ok(gateway.seen.slice(afterFirst).every((entry) => entry.recipeId === RECIPE_2), 'every call since carries the new recipe id')

  // Step 2: the old key withdrawn, the old credentials retired at Gooten.
  await volume.write({ API_KEYS: `support:${NEW_KEY}`, GOOTEN_RECIPE_ID: RECIPE_2, GOOTEN_PARTNER_BILLING_KEY: BILLING_2 })
  await eventually('the keys reloaded again', () => reloads(stack, 'reloaded', 'API_KEYS_FILE') === 2)
  t.equal(reloads(stack, 'reloaded', 'GOOTEN_RECIPE_ID_FILE'), 1, 'an unchanged file is not reloaded')
  gateway.accepted.recipeIds.delete(RECIPE_1)
  gateway.accepted.billingKeys.delete(BILLING_1)
  const settled = (statuses.get(200) ?? 0) + 20
  await eventually('more load after the second rotation', () => (statuses.get(200) ?? 0) >= settled)
  running.stop = true
  await load

  t.same([...statuses.keys()], [200], `every request answered 200 (${statuses.get(200) ?? 0} of them)`)
  t.equal((await call(stack.url, `/orders/${demo.safeId}/items`, { headers: { authorization: `Bearer ${OLD_KEY}` } })).status, 401, 'the withdrawn key is refused')
  t.match(await (await fetch(`${stack.url}/metrics`)).text(), /secret_file_reloads_total\{file="API_KEYS_FILE",outcome="applied"\} 2/)

  // Rotated values are secrets like the first ones: in a request id or a reason, they are redacted.
  await call(stack.url, cancelPath(demo.safeId, '?dryRun=true'), {
    headers: { authorization: `Bearer ${NEW_KEY}`, 'x-request-id': RECIPE_2 },
    body: { itemIds: [demo.items.new], reason: `pasted ${BILLING_2} and ${RECIPE_1} and ${NEW_KEY}` }
  })
  const logged = stack.logs.raw.join('\n')
  for (const secret of [OLD_KEY, NEW_KEY, RECIPE_1, RECIPE_2, BILLING_1, BILLING_2]) t.notOk(logged.includes(secret), `${secret.slice(0, 10)}… never logged`)
  t.match(stack.logs.find('cancel audit').at(-1), { reason: 'pasted REDACTED and REDACTED and REDACTED' })
})

t.test('a request in flight finishes with the credentials it began with', async (t) => {
  const { volume, gateway, stack } = await rotatingStack(t, { API_KEYS: `support:${OLD_KEY}`, GOOTEN_RECIPE_ID: RECIPE_1, GOOTEN_PARTNER_BILLING_KEY: BILLING_1 })
  gateway.accepted.recipeIds.add(RECIPE_2)
  gateway.accepted.billingKeys.add(BILLING_2)
  const held = gateway.holdNextLookup()
  const answer = call(stack.url, cancelPath(demo.safeId), { headers: { authorization: `Bearer ${OLD_KEY}` }, body: { itemIds: [demo.items.new] } })
  await held.arrived
  await volume.write({ API_KEYS: `support:${NEW_KEY}`, GOOTEN_RECIPE_ID: RECIPE_2, GOOTEN_PARTNER_BILLING_KEY: BILLING_2 })
  await eventually('the rotation applied', () => reloads(stack, 'reloaded', 'GOOTEN_RECIPE_ID_FILE') === 1)
  held.release()
  t.equal((await answer).status, 200)
  t.same(gateway.seen.map(({ op, recipeId, billingKey }) => [op, recipeId, billingKey]), [
    ['lookup', RECIPE_1, ''],
    ['cancel', RECIPE_1, BILLING_1]
  ], 'its lookup and its cancel both carry the old pair')
  t.equal((await call(stack.url, `/orders/${demo.safeId}/items`, { headers: { authorization: `Bearer ${NEW_KEY}` } })).status, 200)
  t.equal((await call(stack.url, cancelPath(demo.safeId), { headers: { authorization: `Bearer ${NEW_KEY}` }, body: { itemIds: [demo.items.hold] } })).status, 200)
  t.same(gateway.seen.at(-1), { op: 'cancel', recipeId: RECIPE_2, billingKey: BILLING_2 }, 'the next cancel uses the new pair')
})

t.test('a broken new file is refused, said in a log line and a metric, and the old values stay', async (t) => {
  const { volume, stack } = await rotatingStack(t, { API_KEYS: `support:${OLD_KEY}`, GOOTEN_RECIPE_ID: RECIPE_1, GOOTEN_PARTNER_BILLING_KEY: BILLING_1 })
  await volume.write({ API_KEYS: `support:${NEW_KEY}:rw`, GOOTEN_RECIPE_ID: '\n', GOOTEN_PARTNER_BILLING_KEY: BILLING_1 })
  await eventually('both refusals', () => reloads(stack, 'refused', 'API_KEYS_FILE') === 1 && reloads(stack, 'refused', 'GOOTEN_RECIPE_ID_FILE') === 1)
  // The files are read side by side, so their refusals are logged in either order.
  const refusals = stack.logs.find('secret file refused; the previous values stay in force') as Array<{ file: string }>
  t.match([...refusals].sort((a, b) => a.file.localeCompare(b.file)), [{ level: 40, file: 'API_KEYS_FILE', reason: /API_KEYS_FILE must be a list/ }, { file: 'GOOTEN_RECIPE_ID_FILE', reason: /empty file/ }])
  t.equal((await call(stack.url, cancelPath(demo.safeId), { headers: { authorization: `Bearer ${OLD_KEY}` }, body: { itemIds: [demo.items.new] } })).status, 200, 'the old key and credentials still work')
  t.equal((await call(stack.url, `/orders/${demo.safeId}/items`, { headers: { authorization: `Bearer ${NEW_KEY}` } })).status, 401)
  t.match(await (await fetch(`${stack.url}/metrics`)).text(), /secret_file_reloads_total\{file="API_KEYS_FILE",outcome="refused"\} 1/)
  // A file that disappears is refused once, and a good one after it is taken.
  await rm(volume.path('..data'))
  await eventually('the missing file refused', () => reloads(stack, 'refused', 'API_KEYS_FILE') === 2)
  await volume.write({ API_KEYS: `support:${NEW_KEY}`, GOOTEN_RECIPE_ID: RECIPE_1, GOOTEN_PARTNER_BILLING_KEY: BILLING_1 })
  await eventually('the good file taken', () => reloads(stack, 'reloaded', 'API_KEYS_FILE') === 1)
  t.equal((await call(stack.url, `/orders/${demo.safeId}/items`, { headers: { authorization: `Bearer ${NEW_KEY}` } })).status, 200)
  t.notOk(stack.logs.raw.join('\n').includes(NEW_KEY), 'the refused key is not in the log')
})
