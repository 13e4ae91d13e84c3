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
  secrets.start({ reloaded: (file) => reloaded.push(file), rejected: () => {} })
  t.teardown(() => { secrets.stop() })
  t.equal(secrets.gooten.recipeId.reveal(), 'first-recipe-id', 'the value read at start stays in force')
  await writeFile(recipeFile, 'second-recipe-id\n')
  secrets.poll()
  await eventually('the file applied', () => reloaded.length === 1)
  t.equal(secrets.gooten.recipeId.reveal(), 'second-recipe-id')
})
