import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium } from 'playwright-core'
import t from 'tap'
import { SEED } from '../../src/simulator/seed.js'
import { eventually } from '../helpers/eventually.js'
import { AUDIENCE, SWAGGER_CLIENT_ID, TestProvider } from '../helpers/oidc.js'
import { startStack } from '../helpers/stack.js'

// Debian's chromium (scripts/system-deps.sh installs it); a browser is never downloaded.
const CHROMIUM = '/usr/bin/chromium'
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync']
const { demo } = SEED
const PERSON = 'sam.support-lead'

t.test('a support lead signs in from Swagger UI at the provider, and the cancel names them', async (t) => {
  t.ok(existsSync(CHROMIUM), `${CHROMIUM} is installed (bash scripts/system-deps.sh)`)
  const provider = await TestProvider.start()
  t.teardown(async () => await provider.close())
  const { url, app, logs, sim } = await startStack(t, {
    env: { OIDC_ISSUER: provider.issuer, OIDC_AUDIENCE: AUDIENCE, OIDC_SWAGGER_CLIENT_ID: SWAGGER_CLIENT_ID, API_KEYS: 'support-tool:support-tool-key-0123456789' }
  })
  await eventually('the provider\'s keys', () => app.identityProvider?.verifier !== undefined)
  provider.swaggerRedirects.push(`${url}/docs/static/oauth2-redirect.html`)

  const userDataDir = await mkdtemp(join(tmpdir(), 'gop-chromium-'))
  const browser = await chromium.launchPersistentContext(userDataDir, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, viewport: { width: 1280, height: 1000 } })
  t.teardown(async () => {
    await browser.close()
    await rm(userDataDir, { recursive: true, force: true })
  })
  const page = browser.pages()[0] ?? await browser.newPage()
  const pageErrors: string[] = []
  page.on('pageerror', (error) => pageErrors.push(error.message))
  await page.goto(`${url}/docs`)

  // Authorize → the company sign-in → the provider's login page in a popup.
  await page.locator('button.authorize').first().click()
  const signIn = page.locator('.auth-container').filter({ hasText: 'companySignIn' })
  await signIn.waitFor()
  const [popup] = await Promise.all([browser.waitForEvent('page'), signIn.locator('button.authorize').click()])
  await popup.locator('input[name="login"]').fill(PERSON)
  await popup.locator('input[name="password"]').fill('any password')
  await popup.locator('button[type="submit"]').click()
  // The consent page, then back to Swagger UI's redirect page, which hands the code over and closes.
  // Its button only once the login page is gone: on a busy machine the login's own button is still
  // there for a moment, and a second sign-in breaks the interaction.
  await popup.locator('input[name="login"]').waitFor({ state: 'detached' })
  await popup.locator('button[type="submit"]').click()
  await popup.waitForEvent('close')
  await signIn.getByText('Authorized', { exact: true }).waitFor()
  await page.locator('.modal-ux button.close-modal').click()

  // Try it out: a real cancel, sent with the person's token.
  const operation = page.locator('#operations-orders-cancelOrderItems')
  await operation.locator('.opblock-summary-control').click()
  await operation.locator('button.try-out__btn').click()
  await operation.locator('tr[data-param-name="orderId"] input').fill(demo.safeId)
  await operation.locator('textarea.body-param__text').fill(JSON.stringify({ itemIds: [demo.items.new], reason: 'signed in from Swagger UI' }))
  await operation.locator('button.execute').click()
  const status = operation.locator('.live-responses-table tbody .response-col_status')
  await status.waitFor()
  t.equal(Number(await status.innerText()), 200)
  t.equal(sim.callCount('cancelItems'), 1)
  t.match(logs.find('cancel audit'), [{ caller: SWAGGER_CLIENT_ID, subject: PERSON, outcome: 'cancelled', reason: 'signed in from Swagger UI' }], 'the audit line names the person')
  t.equal(provider.issued.length, 0, 'the token came from the browser, not from the test')
  t.same(pageErrors, [], 'no page errors')
  const written = logs.raw.join('\n')
  t.notMatch(written, /eyJ[A-Za-z0-9_-]{20,}/, 'no token in any log line')
})
