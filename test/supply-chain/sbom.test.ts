import { execFile } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { promisify } from 'node:util'
import semver from 'semver'
import t from 'tap'

const root = new URL('../../', import.meta.url).pathname
const exec = promisify(execFile)
const readJson = async <T>(path: string): Promise<T> => JSON.parse(await readFile(new URL(path, `file://${root}`), 'utf8')) as T

interface CycloneDxLicence { license?: { id?: string, name?: string }, expression?: string }
interface Component { group?: string, name: string, version: string, licenses?: CycloneDxLicence[], components?: Component[] }
interface LockEntry { resolved?: string, integrity?: string, dev?: boolean, link?: boolean, engines?: Record<string, string> | string[] }

const { allowed } = await readJson<{ allowed: Record<string, string> }>('supply-chain/licences.json')

/** An SPDX expression is allowed when every AND part, and at least one OR alternative, is. */
function permitted (expression: string): boolean {
  const bare = expression.replace(/[()]/g, ' ').trim()
  return bare.split(/\s+OR\s+/).some((alternative) => alternative.split(/\s+AND\s+/).every((id) => id.trim() in allowed))
}

t.test('npm run sbom: a CycloneDX SBOM of the production dependencies, every licence on the allow-list', async (t) => {
  const { stdout } = await exec('npm', ['run', '--silent', 'sbom'], { cwd: root, maxBuffer: 64 * 1024 * 1024 })
  const sbom = JSON.parse(stdout) as { bomFormat: string, components: Component[] }
  t.equal(sbom.bomFormat, 'CycloneDX')
  // A package a dependency bundles of its own version sits inside its parent's entry.
  const flatten = (components: Component[]): Component[] => components.flatMap((component) => [component, ...flatten(component.components ?? [])])
  const components = flatten(sbom.components)
  const inSbom = new Set(components.map((component) => `${component.group === undefined ? '' : `${component.group}/`}${component.name}@${component.version}`))
  const lock = await readJson<{ packages: Record<string, LockEntry & { version: string }> }>('package-lock.json')
  const production = new Set(Object.entries(lock.packages)
    .filter(([path, entry]) => path !== '' && entry.dev !== true)
    .map(([path, entry]) => `${path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length)}@${entry.version}`))
  t.same([...production].filter((id) => !inSbom.has(id)), [], 'every production package of the lockfile is in the SBOM')
  t.same([...inSbom].filter((id) => !production.has(id)), [], 'nothing else is: no dev dependency')
  const refused = components.flatMap((component) => {
    const licences = (component.licenses ?? []).map((entry) => entry.expression ?? entry.license?.id ?? entry.license?.name ?? '')
    const ok = licences.length > 0 && licences.every(permitted)
    return ok ? [] : [`${component.name}@${component.version}: ${licences.join(', ') || 'no licence'}`]
  })
  t.same(refused, [], 'every production licence is allowed by supply-chain/licences.json')
})

t.test('the licence check refuses what is not on the list', async (t) => {
  t.ok(permitted('(MIT OR GPL-3.0-only)'))
  t.notOk(permitted('GPL-3.0-only'))
  t.notOk(permitted('MIT AND GPL-3.0-only'))
})

t.test('the lockfile resolves every package from the registry over https, each pinned by a sha512 hash', async (t) => {
  const lock = await readJson<{ packages: Record<string, LockEntry> }>('package-lock.json')
  // An entry without `resolved` comes from the configured registry (npm omits registry URLs from lockfiles
  // with omit-lockfile-registry-resolved); one with it must be a registry tarball over https, never git,
  // a file or plain http.
  const offending = Object.entries(lock.packages)
    .filter(([path, entry]) => path !== '' && entry.link !== true)
    .filter(([, entry]) => !/^sha512-/.test(entry.integrity ?? '') || !(entry.resolved === undefined || /^https:\/\/[^/]+\/.+\.tgz$/.test(entry.resolved)))
    .map(([path]) => path)
  t.same(offending, [])
  const { stdout } = await exec('npm', ['config', 'get', 'registry'], { cwd: root })
  t.match(stdout.trim(), /^https:\/\//, 'the registry npm resolves from is reached over https')
})

// Release dates of the end of life of each Node line (nodejs.org's release schedule).
const END_OF_LIFE: Array<[line: number, endOfLife: string]> = [
  [18, '2025-04-30'], [19, '2023-06-01'], [20, '2026-04-30'], [21, '2024-06-01'], [22, '2027-04-30'],
  [23, '2025-06-01'], [24, '2028-04-30'], [25, '2026-06-01'], [26, '2029-04-30']
]

t.test('engines.node admits no end-of-life line and satisfies every production dependency', async (t) => {
  const { engines } = await readJson<{ engines: { node: string } }>('package.json')
  const today = new Date().toISOString().slice(0, 10)
  const dead = END_OF_LIFE.filter(([, end]) => end <= today).map(([line]) => line)
  t.same(dead.filter((line) => semver.intersects(engines.node, `${line}.x`)), [], `no end-of-life line in ${engines.node}`)
  t.ok(semver.satisfies(process.version, engines.node), `the tests run on a Node the project admits (${process.version})`)
  const lock = await readJson<{ packages: Record<string, LockEntry> }>('package-lock.json')
  const unmet = Object.entries(lock.packages)
    .filter(([path, entry]) => path !== '' && entry.dev !== true && !Array.isArray(entry.engines) && entry.engines?.node !== undefined)
    .filter(([, entry]) => !semver.subset(engines.node, (entry.engines as Record<string, string>).node as string))
    .map(([path, entry]) => `${path}: ${(entry.engines as Record<string, string>).node}`)
  t.same(unmet, [], 'every production dependency accepts every Node the project admits')
})
