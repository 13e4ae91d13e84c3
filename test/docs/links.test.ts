// The README's index and every cross-reference between documents must lead somewhere: each
// relative link names a file that exists, and each #anchor a heading of that file, slugged as
// GitHub slugs it.
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, relative, resolve } from 'node:path'
import GithubSlugger from 'github-slugger'
import MarkdownIt, { type Token } from 'markdown-it'
import t from 'tap'

const root = new URL('../../', import.meta.url).pathname
const markdown = new MarkdownIt()

/** The text a heading or link shows: its plain text and inline code, without markup. */
const shownText = (inline: Token): string =>
  (inline.children ?? []).filter((child) => child.type === 'text' || child.type === 'code_inline').map((child) => child.content).join('')

function parse (source: string): { links: string[], anchors: Set<string> } {
  const slugger = new GithubSlugger()
  const links: string[] = []
  const anchors = new Set<string>()
  const tokens = markdown.parse(source, {})
  tokens.forEach((token, index) => {
    const next = tokens[index + 1]
    if (token.type === 'heading_open' && next !== undefined) anchors.add(slugger.slug(shownText(next)))
    for (const child of token.children ?? []) {
      const href = child.type === 'link_open' ? child.attrGet('href') : null
      if (typeof href === 'string') links.push(href)
    }
  })
  return { links, anchors }
}

/** Every relative link of `file` that leads nowhere, as `target (why)`. */
async function brokenLinks (file: string): Promise<string[]> {
  const { links, anchors } = parse(await readFile(file, 'utf8'))
  const broken: string[] = []
  for (const href of links) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(href)) continue // http:, https:, mailto:: not ours to check offline
    const [path = '', anchor] = href.split('#', 2)
    const target = path === '' ? file : resolve(dirname(file), decodeURIComponent(path))
    if (!existsSync(target)) {
      broken.push(`${href} (no such file)`)
      continue
    }
    if (anchor === undefined) continue
    const targetAnchors = target === file ? anchors : target.endsWith('.md') ? parse(await readFile(target, 'utf8')).anchors : new Set<string>()
    if (!targetAnchors.has(decodeURIComponent(anchor))) broken.push(`${href} (no heading #${anchor})`)
  }
  return broken
}

t.test('every relative link and #anchor in the README and docs/ resolves', async (t) => {
  const docs = (await readdir(join(root, 'docs'))).filter((name) => name.endsWith('.md')).map((name) => join(root, 'docs', name))
  const files = [join(root, 'README.md'), ...docs]
  t.ok(docs.length >= 6, 'the README indexes the documents in docs/')
  for (const file of files) {
    t.same(await brokenLinks(file), [], relative(root, file))
  }
})

t.test('the README indexes every document in docs/', async (t) => {
  const { links } = parse(await readFile(join(root, 'README.md'), 'utf8'))
  for (const name of (await readdir(join(root, 'docs'))).filter((name) => name.endsWith('.md'))) {
    t.ok(links.includes(`docs/${name}`), `docs/${name}`)
  }
})

t.test('a missing file, a missing heading and a heading spelt differently are reported', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'doc-links-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  await writeFile(join(dir, 'other.md'), '# Other\n\n## `outcome`: the answer (HTTP 200)\n\n## Repeated\n\n## Repeated\n')
  await writeFile(join(dir, 'data.json'), '{}')
  await writeFile(join(dir, 'page.md'), [
    '# Page', '', '## Errors', '',
    '[ok](other.md) [ok](other.md#outcome-the-answer-http-200) [ok](other.md#repeated-1) [ok](#errors)',
    '[ok](https://example.invalid/x#y) [ok](data.json)',
    '[file](gone.md) [anchor](other.md#nowhere) [spelling](other.md#Outcome) [here](#missing) [json](data.json#a)',
    '', '`[code](not-a-link.md)`', '', '```', '[block](not-a-link.md)', '```', ''
  ].join('\n'))
  t.same(await brokenLinks(join(dir, 'page.md')), [
    'gone.md (no such file)',
    'other.md#nowhere (no heading #nowhere)',
    'other.md#Outcome (no heading #Outcome)',
    '#missing (no heading #missing)',
    'data.json#a (no heading #a)'
  ])
})
