import { execFile } from 'node:child_process'
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import GithubSlugger from 'github-slugger'
import t from 'tap'
import { stringify } from 'yaml'
import { ruleGroups } from '../helpers/monitoring.js'

// Debian's prometheus package ships promtool: the rules are checked and unit-tested with the real
// parser and evaluator, not a copy of their logic.
const run = promisify(execFile)
const groups = await ruleGroups()
const alerts = groups.flatMap((group) => group.rules).filter((rule) => rule.alert !== undefined)

async function rulesDirectory (t: { teardown: (fn: () => unknown) => void }): Promise<string> {
  const directory = await mkdtemp(join(tmpdir(), 'gooten-rules-'))
  t.teardown(async () => { await rm(directory, { recursive: true, force: true }) })
  await writeFile(join(directory, 'rules.yaml'), stringify({ groups }))
  await copyFile(new URL('prometheus/alerts.promtool.yaml', import.meta.url), join(directory, 'alerts.promtool.yaml'))
  return directory
}

t.test('promtool check rules accepts every rule', async (t) => {
  const directory = await rulesDirectory(t)
  const { stdout } = await run('promtool', ['check', 'rules', join(directory, 'rules.yaml')])
  t.match(stdout, new RegExp(`SUCCESS: ${groups.flatMap((group) => group.rules).length} rules found`))
})

t.test('promtool test rules: each alert fires on its series and stays quiet on the others', async (t) => {
  const directory = await rulesDirectory(t)
  const { stdout } = await run('promtool', ['test', 'rules', 'alerts.promtool.yaml'], { cwd: directory })
  t.match(stdout, /SUCCESS/)

  const tests = await readFile(new URL('prometheus/alerts.promtool.yaml', import.meta.url), 'utf8')
  for (const { alert } of alerts) {
    const name = alert as string
    t.match(tests, new RegExp(`alertname: ${name}\\n\\s+eval_time: \\S+\\n\\s+exp_alerts:\\n\\s+- exp_labels`), `${name} is shown firing`)
    t.match(tests, new RegExp(`alertname: ${name}\\n\\s+eval_time: \\S+\\n\\s+exp_alerts: \\[\\]`), `${name} is shown quiet`)
  }
})

t.test('promtool test rules fails when an alert does not fire as expected', async (t) => {
  const directory = await rulesDirectory(t)
  // The circuit alert waits 5 minutes; at minute 7 it has not fired yet.
  const tests = await readFile(join(directory, 'alerts.promtool.yaml'), 'utf8')
  await writeFile(join(directory, 'alerts.promtool.yaml'), tests.replace(/(alertname: GootenProxyCircuitOpen\n\s+eval_time: )12m/, '$17m'))
  await t.rejects(run('promtool', ['test', 'rules', 'alerts.promtool.yaml'], { cwd: directory }), /GootenProxyCircuitOpen/)
})

t.test('every alert has a severity, a summary and a runbook section of its own', async (t) => {
  const runbook = await readFile(new URL('../../docs/runbook.md', import.meta.url), 'utf8')
  const slugger = new GithubSlugger()
  const anchors = new Set([...runbook.matchAll(/^#{1,3} (.+)$/gm)].map((heading) => slugger.slug(heading[1] as string)))
  const seen = new Set<string>()
  for (const rule of alerts) {
    const name = rule.alert as string
    t.ok(['critical', 'warning'].includes(rule.labels?.severity ?? ''), `${name}: severity critical (pages) or warning (ticket)`)
    t.ok((rule.annotations?.summary ?? '').length > 20, `${name}: a summary`)
    const anchor = /\/docs\/runbook\.md#([a-z0-9-]+)$/.exec(rule.annotations?.runbook_url ?? '')?.[1]
    t.equal(anchor, name.toLowerCase(), `${name}: runbook_url points to its own section`)
    t.ok(anchors.has(anchor as string), `${name}: docs/runbook.md has the section`)
    seen.add(anchor as string)
    const section = runbook.slice(runbook.indexOf(`## ${name}\n`)).split(/\n## /)[0] as string
    for (const part of ['What it means', 'What to check', 'What to do']) t.match(section, `**${part}**`, `${name}: ${part}`)
  }
  t.equal(seen.size, alerts.length, 'one section per alert')
})
