import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type ConsoleMessage, type Locator, type Page } from 'playwright-core'
import t from 'tap'
import { CANCELLABLE_STATUSES } from '../../src/cancellation/status-policy.js'
import { SEED } from '../../src/simulator/seed.js'
import { startStack } from '../helpers/stack.js'

// Debian's chromium (scripts/system-deps.sh installs it); a browser is never downloaded.
const CHROMIUM = '/usr/bin/chromium'
const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic',
  '--no-first-run', '--disable-component-update', '--disable-sync'
]
/** Screenshots of the executed "Try it out", kept after the run (.tap/ is not committed). */
export const SCREENSHOTS = new URL('../../.tap/screenshots/swagger-ui/', import.meta.url).pathname

const { demo } = SEED
const OPERATION = '#operations-orders-cancelOrderItems'

interface Shown { status: number, body: Record<string, unknown>, headers: string }

/** Types the body, presses Execute, and reads the answer as Swagger UI shows it. */
async function execute (page: Page, operation: Locator, body: string): Promise<Shown> {
  await operation.locator('textarea.body-param__text').fill(body)
  await operation.locator('button.execute').click()
  const live = operation.locator('.live-responses-table')
  const status = live.locator('tbody .response-col_status')
  await status.waitFor()
  const shown = {
    status: Number(await status.innerText()),
    body: JSON.parse(await live.locator('.response-col_description .highlight-code pre').first().innerText()) as Record<string, unknown>,
    headers: await live.locator('.response-col_description > div').filter({ hasText: 'Response headers' }).locator('pre').innerText()
  }
  await page.waitForLoadState('networkidle')
  return shown
}

/** A screenshot from the request body typed down to the end of the answer shown. */
async function screenshot (page: Page, operation: Locator, name: string): Promise<string> {
  const top = await operation.locator('textarea.body-param__text').boundingBox()
  const bottom = await operation.locator('.live-responses-table').boundingBox()
  if (top === null || bottom === null) throw new Error('nothing to capture')
  // Bounding boxes are relative to the viewport; a full-page clip is in page coordinates.
  const scrollY = await page.evaluate<number>('window.scrollY')
  const path = join(SCREENSHOTS, name)
  await page.screenshot({
    path,
    fullPage: true,
    clip: { x: 0, y: scrollY + top.y - 48, width: page.viewportSize()?.width ?? 1280, height: bottom.y + bottom.height - top.y + 64 }
  })
  return path
}

t.test('Swagger UI in a real browser: the cancel operation, Try it out, 200 and 400', async (t) => {
  t.ok(existsSync(CHROMIUM), `${CHROMIUM} is installed (bash scripts/system-deps.sh)`)
  const { url, sim } = await startStack(t)
  await mkdir(SCREENSHOTS, { recursive: true })
  const userDataDir = await mkdtemp(join(tmpdir(), 'gop-chromium-'))
  const browser = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 1000 }
  })
  t.teardown(async () => {
    await browser.close()
    await rm(userDataDir, { recursive: true, force: true })
  })
  const page = browser.pages()[0] ?? await browser.newPage()

  // Every console error fails the test (a CSP refusal shows up here), except Chrome's own line for
  // the deliberate 400 below.
  const consoleErrors: string[] = []
  const cancelUrl = `${url}/orders/${demo.safeId}/items/cancel`
  page.on('console', (message: ConsoleMessage) => {
    if (message.type() !== 'error') return
    const expected400 = message.location().url === cancelUrl && /status of 400/.test(message.text())
    if (!expected400) consoleErrors.push(`${message.text()} (${message.location().url})`)
  })
  page.on('pageerror', (error) => consoleErrors.push(`page error: ${error.message}`))
  page.on('requestfailed', (request) => consoleErrors.push(`request failed: ${request.url()} ${request.failure()?.errorText ?? ''}`))

  const docs = await page.goto(`${url}/docs`)
  t.equal(docs?.status(), 200)
  t.match(await docs?.headerValue('content-security-policy'), /script-src 'self'/, 'Helmet\'s CSP is on /docs')

  // The page is this service's, not Swagger's: our title and mark, no Swagger top bar, our introduction.
  t.equal(await page.title(), 'gooten-order-proxy: cancel Gooten order items')
  const favicon = await page.locator('link[rel="icon"]').getAttribute('href')
  t.match(favicon, /theme\/favicon\.svg$/, 'our mark in the tab')
  const mark = await page.request.get(new URL(favicon ?? '', page.url()).href)
  t.equal(mark.headers()['content-type'], 'image/svg+xml', 'and it is served')
  await page.locator('.info .title').waitFor()
  t.equal(await page.locator('.topbar').count(), 0, 'no Swagger top bar or logo')
  t.match(await page.locator('.info .title').innerText(), 'gooten-order-proxy')
  t.match(await page.locator('.info .description').innerText(), /Cancels items of Gooten print-on-demand orders[\s\S]*partially_cancelled/)

  // The operation is listed, with its summary and its request schema.
  const operation = page.locator(OPERATION)
  await operation.waitFor()
  t.match(await operation.locator('.opblock-summary-path').innerText(), '/orders/{orderId}/items/cancel')
  t.match(await operation.locator('.opblock-summary-description').innerText(), 'Cancel items of an order')
  await operation.locator('.opblock-summary-control').click()
  // Expanded, it tells which statuses can be cancelled: the status policy's list.
  const description = await operation.locator('.opblock-description-wrapper').first().innerText()
  for (const status of CANCELLABLE_STATUSES) t.match(description, status, `${status} is listed as cancellable`)
  // Each answer says what its codes mean and what to do; examples only where items matter, the rest
  // share the Problem schema: the expanded operation is half as tall as with an example on every row
  // (9,830 px at this width).
  const rows = operation.locator('.responses-table tr.response')
  await rows.first().waitFor()
  const answers = (await rows.allInnerTexts()).join('\n')
  for (const code of ['CANCEL_IN_DOUBT', 'ORDER_UNREADABLE', 'IDEMPOTENCY_KEY_REUSED', 'STORE_UNAVAILABLE']) t.match(answers, code, `${code} is explained`)
  t.match(answers, /CANCEL_IN_DOUBT.*Retry after Retry-After/, 'with what to do')
  const withExample = await rows.filter({ has: page.locator('.model-example:visible') }).evaluateAll((found) => found.map((row) => row.getAttribute('data-code')))
  t.same(withExample, ['200', '409', '422'], 'examples of the success and of the problems that list items')
  const height = (await operation.boundingBox())?.height ?? Infinity
  t.ok(height <= 9830 / 2, `the expanded operation is ${Math.round(height)} px tall`)
  const requestBody = operation.locator('.opblock-section-request-body')
  await requestBody.locator('button[data-name="model"]').click()
  const schema = await requestBody.locator('.model-box').innerText()
  t.match(schema, /itemIds/, 'the request schema names itemIds')
  t.match(schema, /reason/, 'and reason')
  const schemas = await page.locator('section.models .json-schema-2020-12__title').allInnerTexts()
  t.same(schemas.sort(), ['CancelResult', 'ItemResult', 'OrderItems', 'Problem'], 'the shared schemas are listed')
  await requestBody.locator('button[data-name="example"]').click()

  // Try it out with the seeded demo order, whose New and Hold items can be cancelled.
  await operation.locator('button.try-out__btn').click()
  await operation.locator('tr[data-param-name="orderId"] input').fill(demo.safeId)
  const cancelled = await execute(page, operation, JSON.stringify({ itemIds: [demo.items.new, demo.items.hold], reason: 'Swagger UI test' }, null, 2))
  t.equal(cancelled.status, 200)
  t.equal(cancelled.body.outcome, 'cancelled')
  t.same(cancelled.body.items, [
    { itemId: demo.items.new, result: 'cancelled', previousStatus: 'New' },
    { itemId: demo.items.hold, result: 'cancelled', previousStatus: 'Hold' }
  ])
  t.match(cancelled.headers, /content-type: application\/json/)
  t.equal(sim.callCount('cancelItems'), 1, 'Gooten got the one cancel call')
  t.comment(`screenshot: ${await screenshot(page, operation, 'cancel-200.png')}`)

  // The same operation with a body the schema refuses: the 400 problem is shown.
  const refused = await execute(page, operation, JSON.stringify({ itemIds: [], force: true }, null, 2))
  t.equal(refused.status, 400)
  t.match(refused.body, { status: 400, code: 'VALIDATION_FAILED', errors: Array })
  t.match(refused.headers, /content-type: application\/problem\+json/)
  t.equal(sim.callCount('cancelItems'), 1, 'nothing more reached Gooten')
  t.comment(`screenshot: ${await screenshot(page, operation, 'cancel-400.png')}`)

  t.same(consoleErrors, [], 'no console errors')
})
