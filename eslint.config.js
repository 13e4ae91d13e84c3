import neostandard from 'neostandard'

/**
 * The one-way arrows between src folders (README, Layout): each folder may import only these.
 * problems/ (every answer's code, title and words) is a leaf that every layer answering a request names.
 */
const allowedImports = {
  'src/problems/*.ts': [],
  'src/gooten/*.ts': ['problems'],
  'src/cancellation/*.ts': ['gooten', 'problems'],
  'src/stores/*.ts': ['cancellation', 'problems', 'config.js'],
  'src/http/*.ts': ['cancellation', 'gooten', 'stores', 'problems'],
  'src/plugins/*.ts': ['http', 'auth', 'secrets', 'cancellation', 'gooten', 'stores', 'mcp', 'problems', 'config.js'],
  'src/secrets/*.ts': ['gooten', 'config.js'],
  'src/auth/*.ts': ['http', 'problems', 'config.js'],
  'src/mcp/*.ts': ['http', 'cancellation', 'gooten', 'stores', 'routes', 'problems'],
  'src/routes/*.ts': ['http', 'cancellation', 'problems'],
  'src/simulator/*.ts': [],
  'src/telemetry/*.ts': ['cancellation', 'gooten', 'config.js']
}

const arrows = Object.entries(allowedImports).map(([files, allowed]) => ({
  files: [files],
  rules: {
    'no-restricted-imports': ['error', {
      patterns: [{
        // Any import that leaves the folder, unless it goes to an allowed one.
        regex: `^\\.\\./(?!(${allowed.map((name) => name.replace('.', '\\.')).join('|') || '$^'})(/|$))`,
        message: `${files.split('/')[1]}/ may import only from: ${allowed.join(', ') || 'itself'} (README, Layout)`
      }]
    }]
  }
}))

export default [
  ...neostandard({
    ts: true,
    ignores: ['dist/**', 'coverage/**', '.tap/**', 'openapi/*.d.ts', 'node_modules/**']
  }),
  ...arrows,
  // stores/locks and stores/idempotency sit one level deeper; they reach the domain's lock port only.
  {
    files: ['src/stores/*/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [{ regex: '^\\.\\./\\.\\./(?!cancellation/)', message: 'stores/ may import only from: cancellation, config.js (README, Layout)' }]
      }]
    }
  }
]
