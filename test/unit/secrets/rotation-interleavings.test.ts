// Property test: a Secret volume updated, once or twice, while the service reads its three files, at
// every moment fast-check's scheduler can pick between those reads, across several polls.
import fc from 'fast-check'
import * as fs from 'node:fs'
import * as fsPromises from 'node:fs/promises'
import t from 'tap'

const PATHS = { API_KEYS: '/var/run/secrets/gop/API_KEYS', RECIPE: '/var/run/secrets/gop/GOOTEN_RECIPE_ID', BILLING: '/var/run/secrets/gop/GOOTEN_PARTNER_BILLING_KEY' }

/** What each file holds in a generation of the volume; every file of a generation names it. */
function contentOf (path: string, generation: number): string | undefined {
  if (path === PATHS.API_KEYS) return `support:support-key-generation-${generation}\n`
  if (path === PATHS.RECIPE) return `recipe-${generation}\n`
  if (path === PATHS.BILLING) return `billing+${generation}==`
  return undefined
}

/** The volume: one generation at a time, swapped whole, as Kubernetes swaps `..data`; each read a scheduled step. */
const volume: { generation: number, scheduler: fc.Scheduler | undefined } = { generation: 1, scheduler: undefined }

const readFileSync = (path: string, options: BufferEncoding): string => contentOf(path, volume.generation) ?? fs.readFileSync(path, options)
// Mocked one module at a time: a mock does not reach through the TypeScript loader to what a module imports.
const watchedFile = await t.mockImport<typeof import('../../../src/secrets/watched-file.js')>('../../../src/secrets/watched-file.js', {
  'node:fs/promises': {
    ...fsPromises,
    readFile: async (path: string) => {
      await (volume.scheduler as fc.Scheduler).schedule(Promise.resolve(), `read ${path.split('/').at(-1) ?? ''}`)
      return contentOf(path, volume.generation)
    }
  }
})
const { LiveSecrets } = await t.mockImport<typeof import('../../../src/secrets/live-secrets.js')>('../../../src/secrets/live-secrets.js', {
  'node:fs': { ...fs, readFileSync },
  '../../../src/secrets/watched-file.js': watchedFile
})
const { loadConfig } = await t.mockImport<typeof import('../../../src/config.js')>('../../../src/config.js', { 'node:fs': { ...fs, readFileSync } })

const generationOf = (text: string): number => Number(/(\d+)\W*$/.exec(text)?.[1])

t.test('a Secret updated between the reads of its files is never applied half old, half new', async (t) => {
  await t.resolves(fc.assert(fc.asyncProperty(fc.scheduler(), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 2 }), async (s, polls, updates) => {
    volume.scheduler = s
    volume.generation = 1
    const secrets = new LiveSecrets(loadConfig({
      API_KEYS_FILE: PATHS.API_KEYS,
      GOOTEN_RECIPE_ID_FILE: PATHS.RECIPE,
      GOOTEN_PARTNER_BILLING_KEY_FILE: PATHS.BILLING,
      SECRET_FILES_POLL_MS: '600000'
    }))
    const inForce = (): number[] => [
      generationOf(secrets.callerKeys?.[0]?.key.reveal() ?? ''),
      generationOf(secrets.gooten.recipeId.reveal()),
      generationOf(secrets.gooten.partnerBillingKey.reveal())
    ]
    const applied: number[][] = []
    secrets.onChange(() => applied.push(inForce()))
    secrets.start({ reloaded: () => {}, rejected: (file) => { throw new Error(`${file} refused`) } })
    try {
      // One update after another, each a generation; where they land among the reads is the scheduler's.
      let update = Promise.resolve()
      for (let generation = 2; generation <= updates + 1; generation++) {
        update = update.then(async () => await s.schedule(Promise.resolve(), `the Secret is updated to ${generation}`)).then(() => { volume.generation = generation })
      }
      for (let i = 0; i < polls; i++) await s.waitFor(secrets.poll())
      await s.waitFor(update)
      // Once the volume is still, one poll applies the last generation, whatever came before it.
      await s.waitFor(secrets.poll())
      await s.waitAll()
      return applied.every(([keys, recipe, billing]) => keys === recipe && recipe === billing) &&
        inForce().every((generation) => generation === updates + 1) &&
        applied.length >= 1 && applied.length <= updates
    } finally {
      secrets.stop()
    }
  }), { numRuns: 300 }), 'every change applied carries one generation, and the last one ends in force')
})
