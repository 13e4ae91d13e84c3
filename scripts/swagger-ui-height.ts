// How tall Swagger UI draws the cancel operation once expanded, in CSS pixels, at a 1280 px wide
// window in Debian's headless chromium: what a support lead scrolls through to learn the rules.
// Usage: node --import tsx scripts/swagger-ui-height.ts [trials]   (not part of npm test)
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium } from 'playwright-core'
import { buildApp } from '../src/app.js'
import { loadConfig } from '../src/config.js'

const trials = Number(process.argv[2] ?? '3')
const config = loadConfig({ GOOTEN_RECIPE_ID: 'measure', GOOTEN_PARTNER_BILLING_KEY: 'measure', HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'silent' })
const app = await buildApp({ config })
const url = await app.listen({ host: '127.0.0.1', port: 0 })
const userDataDir = await mkdtemp(join(tmpdir(), 'gop-swagger-height-'))
const browser = await chromium.launchPersistentContext(userDataDir, {
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  viewport: { width: 1280, height: 1000 }
})
try {
  for (let trial = 1; trial <= trials; trial++) {
    const page = await browser.newPage()
    await page.goto(`${url}/docs`)
    const operation = page.locator('#operations-orders-cancelOrderItems')
    await operation.locator('.opblock-summary-control').click()
    await operation.locator('.responses-table').waitFor()
    await page.waitForLoadState('networkidle')
    const box = await operation.boundingBox()
    const page_ = await page.evaluate<number>('document.documentElement.scrollHeight')
    process.stdout.write(`trial ${trial}: cancel operation ${Math.round(box?.height ?? 0)} px expanded; page ${page_} px\n`)
    await page.close()
  }
} finally {
  await browser.close()
  await rm(userDataDir, { recursive: true, force: true })
  await app.close()
}
