// Summarises a V8 .cpuprofile: self time by owner (our code, each package, Node, V8) and the
// hottest functions. `node --import tsx bench/profile-summary.ts <file.cpuprofile> [dist dir]`.
import { existsSync, readFileSync, realpathSync } from 'node:fs'
import { SourceMap } from 'node:module'
import { fileURLToPath, pathToFileURL } from 'node:url'

interface ProfileNode {
  id: number
  callFrame: { functionName: string, url: string, lineNumber: number, columnNumber: number }
  children?: number[]
}

interface CpuProfile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
}

interface Frame {
  name: string
  owner: string
  where: string
}

const VM_STATES = new Set(['(idle)', '(program)', '(garbage collector)', '(root)'])

const maps = new Map<string, SourceMap | undefined>()

/** The TypeScript line of a compiled location, from the build's source map. */
function sourceLine (url: string, line: number, column: number): number | undefined {
  if (!maps.has(url)) {
    const file = `${fileURLToPath(url)}.map`
    maps.set(url, existsSync(file) ? new SourceMap(JSON.parse(readFileSync(file, 'utf8'))) : undefined)
  }
  const entry = maps.get(url)?.findEntry(line, column) as { originalLine?: number } | undefined
  return entry?.originalLine === undefined ? undefined : entry.originalLine + 1
}

function describe (node: ProfileNode, distUrl: string): Frame {
  const { functionName, url, lineNumber, columnNumber } = node.callFrame
  const name = functionName === '' ? '(anonymous)' : functionName
  if (url === '') return { name, owner: VM_STATES.has(name) ? name : '(V8 builtins and native)', where: '' }
  if (url.startsWith('node:')) return { name, owner: 'node internals', where: `${url}:${lineNumber + 1}` }
  if (url.startsWith(distUrl)) {
    const line = sourceLine(url, lineNumber, columnNumber)
    const file = `src/${url.slice(distUrl.length).replace(/\.js$/, '.ts')}`
    return { name, owner: 'ours (src/)', where: line === undefined ? `${file} (compiled line ${lineNumber + 1})` : `${file}:${line}` }
  }
  const at = url.lastIndexOf('/node_modules/')
  if (at !== -1) {
    const rest = url.slice(at + '/node_modules/'.length).split('/')
    const pkg = rest[0]?.startsWith('@') === true ? `${rest[0]}/${rest[1] ?? ''}` : rest[0] ?? '?'
    return { name, owner: pkg, where: `${rest.join('/')}:${lineNumber + 1}` }
  }
  return { name, owner: 'other', where: `${url}:${lineNumber + 1}` }
}

interface Row { key: string, frame: Frame, ms: number }

export function summariseProfile (file: string, distDir: string): { markdown: string, data: Record<string, unknown> } {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile
  // Real path: the profile names files as the process resolved them, through any symlinked node_modules.
  const distUrl = pathToFileURL(`${realpathSync(distDir)}/`).href
  const byId = new Map<number, ProfileNode>()
  const parent = new Map<number, number>()
  for (const node of profile.nodes) {
    byId.set(node.id, node)
    for (const child of node.children ?? []) parent.set(child, node.id)
  }
  const frames = new Map<number, Frame>()
  const frameOf = (id: number): Frame => {
    let frame = frames.get(id)
    if (frame === undefined) {
      frame = describe(byId.get(id) as ProfileNode, distUrl)
      frames.set(id, frame)
    }
    return frame
  }
  const keyOf = (f: Frame): string => `${f.name} ${f.where}`

  const self = new Map<string, Row>()
  const inclusive = new Map<string, Row>()
  const owners = new Map<string, number>()
  const ownersInclusive = new Map<string, number>()
  let total = 0
  let idle = 0
  for (let i = 0; i < profile.samples.length; i++) {
    const ms = (profile.timeDeltas[i + 1] ?? 0) / 1000
    const id = profile.samples[i] as number
    const frame = frameOf(id)
    total += ms
    if (frame.owner === '(idle)') idle += ms
    owners.set(frame.owner, (owners.get(frame.owner) ?? 0) + ms)
    const key = keyOf(frame)
    const row = self.get(key) ?? { key, frame, ms: 0 }
    row.ms += ms
    self.set(key, row)
    // Inclusive time of our own functions and of every owner: each once per sample, however deep it recurses.
    const seen = new Set<string>()
    const seenOwners = new Set<string>()
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const f = frameOf(at)
      if (!seenOwners.has(f.owner)) {
        seenOwners.add(f.owner)
        ownersInclusive.set(f.owner, (ownersInclusive.get(f.owner) ?? 0) + ms)
      }
      if (f.owner !== 'ours (src/)') continue
      const k = keyOf(f)
      if (seen.has(k)) continue
      seen.add(k)
      const inc = inclusive.get(k) ?? { key: k, frame: f, ms: 0 }
      inc.ms += ms
      inclusive.set(k, inc)
    }
  }
  const busy = total - idle
  const pct = (ms: number): string => `${((ms / busy) * 100).toFixed(1)}%`
  const fmt = (ms: number): string => ms.toFixed(0)
  const lines: string[] = []
  lines.push(`Sampled ${(total / 1000).toFixed(1)} s, of which ${(busy / 1000).toFixed(1)} s busy (percentages are of busy time).`, '')
  lines.push('## Time by owner', '', 'Self: samples in the owner\'s own code. Total: samples with the owner anywhere on the stack (what calling it costs, callees included).', '')
  lines.push('| owner | self ms | self share | total share |', '| --- | ---: | ---: | ---: |')
  const ownerRows = [...owners.entries()].filter(([owner]) => owner !== '(idle)' && owner !== '(root)').sort((a, b) => b[1] - a[1])
  for (const [owner, ms] of ownerRows) {
    if (ms / busy < 0.001) continue
    lines.push(`| ${owner} | ${fmt(ms)} | ${pct(ms)} | ${VM_STATES.has(owner) ? '' : pct(ownersInclusive.get(owner) ?? 0)} |`)
  }
  lines.push('')
  const top = [...self.values()].filter((r) => r.frame.owner !== '(idle)').sort((a, b) => b.ms - a.ms).slice(0, 30)
  lines.push('## Top functions by self time', '', '| function | owner | where | self ms | share |', '| --- | --- | --- | ---: | ---: |')
  for (const r of top) lines.push(`| ${r.frame.name} | ${r.frame.owner} | ${r.frame.where} | ${fmt(r.ms)} | ${pct(r.ms)} |`)
  lines.push('')
  const ours = [...self.values()].filter((r) => r.frame.owner === 'ours (src/)').sort((a, b) => b.ms - a.ms).slice(0, 20)
  lines.push('## Our functions by self time', '', '| function | where | self ms | share |', '| --- | --- | ---: | ---: |')
  for (const r of ours) lines.push(`| ${r.frame.name} | ${r.frame.where} | ${fmt(r.ms)} | ${pct(r.ms)} |`)
  lines.push('')
  const oursInclusive = [...inclusive.values()].sort((a, b) => b.ms - a.ms).slice(0, 25)
  lines.push('## Our functions by total time (self + callees)', '', '| function | where | total ms | share |', '| --- | --- | ---: | ---: |')
  for (const r of oursInclusive) lines.push(`| ${r.frame.name} | ${r.frame.where} | ${fmt(r.ms)} | ${pct(r.ms)} |`)
  lines.push('')
  return {
    markdown: lines.join('\n'),
    data: {
      totalMs: Math.round(total),
      busyMs: Math.round(busy),
      owners: Object.fromEntries(ownerRows.map(([owner, ms]) => [owner, { selfMs: Math.round(ms), totalMs: Math.round(ownersInclusive.get(owner) ?? 0) }])),
      top: top.map((r) => ({ function: r.frame.name, owner: r.frame.owner, where: r.frame.where, selfMs: Math.round(r.ms) })),
      oursInclusive: oursInclusive.map((r) => ({ function: r.frame.name, where: r.frame.where, totalMs: Math.round(r.ms) }))
    }
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [file, dist] = process.argv.slice(2)
  if (file === undefined) {
    process.stderr.write('usage: node --import tsx bench/profile-summary.ts <file.cpuprofile> [dist dir]\n')
    process.exit(2)
  }
  process.stdout.write(summariseProfile(file, dist ?? new URL('../node_modules/.cache/gop-bench/dist/', import.meta.url).pathname).markdown + '\n')
}
