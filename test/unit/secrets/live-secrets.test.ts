import { mkdtemp, rm, unlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { loadConfig } from '../../../src/config.js'
import { LiveSecrets } from '../../../src/secrets/live-secrets.js'
import { eventually } from '../../helpers/eventually.js'

t.test('a file gone between start-up and the first poll is taken as changed once it is back', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'gop-secrets-'))
  t.teardown(async () => { await rm(dir, { recursive: true, force: true }) })
  const recipeFile = join(dir, 'recipe-id')
  await writeFile(recipeFile, 'first-recipe-id\n')
  const config = loadConfig({ GOOTEN_RECIPE_ID_FILE: recipeFile, GOOTEN_PARTNER_BILLING_KEY: 'billing+key/one==', SECRET_FILES_POLL_MS: '1000' })
  await unlink(recipeFile)
  const secrets = new LiveSecrets(config)
  const reloaded: string[] = []
  const rejected: string[] = []
  secrets.start({ reloaded: (file) => reloaded.push(file), rejected: (file) => rejected.push(file) })
  secrets.start({ reloaded: () => t.fail('a second start is ignored'), rejected: () => t.fail('a second start is ignored') })
  t.teardown(() => { secrets.stop() })
  t.equal(secrets.gooten.recipeId.reveal(), 'first-recipe-id', 'the value read at start stays in force')
  await writeFile(recipeFile, 'second-recipe-id\n')
  secrets.poll()
  await eventually('the file applied', () => reloaded.length === 1)
  t.equal(secrets.gooten.recipeId.reveal(), 'second-recipe-id')
})

t.test('a caller-key file rewritten empty is refused; the keys stay', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'gop-secrets-'))
  t.teardown(async () => { await rm(dir, { recursive: true, force: true }) })
  const keysFile = join(dir, 'api-keys')
  await writeFile(keysFile, 'support:support-key-0123456789\n')
  const config = loadConfig({ API_KEYS_FILE: keysFile, GOOTEN_RECIPE_ID: 'recipe-id-1', GOOTEN_PARTNER_BILLING_KEY: 'billing+key/one==', SECRET_FILES_POLL_MS: '1000' })
  const secrets = new LiveSecrets(config)
  const rejected: string[] = []
  secrets.start({ reloaded: () => {}, rejected: (file) => rejected.push(file) })
  t.teardown(() => { secrets.stop() })
  await writeFile(keysFile, '   \n')
  secrets.poll()
  await eventually('the empty file refused', () => rejected.length === 1)
  t.same(rejected, ['API_KEYS_FILE'])
  t.equal(secrets.callerKeys?.[0]?.name, 'support', 'the keys in force stay')
})
