import t from 'tap'
import { credentialRedactor } from '../../../src/gooten/redaction.js'
import { lowerHexEncoded } from '../../helpers/encoding.js'

const BILLING_KEY = 'tK+9/x2Q==ab+cd/ef='
const redact = credentialRedactor([BILLING_KEY, 'short'])

const cases: Array<[string, string, string]> = [
  ['the recipe id of a lookup', '/api/v/5/source/api/orders?id=13-abc&recipeid=r-123', '/api/v/5/source/api/orders?id=13-abc&recipeid=REDACTED'],
  ['both credentials of a cancel', '?orderId=1&recipeid=r&partnerBillingKey=k%2B1', '?orderId=1&recipeid=REDACTED&partnerBillingKey=REDACTED'],
  ['any case, as Gooten reads names', 'https://api.print.io/x?RecipeID=r&PARTNERBILLINGKEY=k', 'https://api.print.io/x?RecipeID=REDACTED&PARTNERBILLINGKEY=REDACTED'],
  ['a query without its ?', 'recipeid=r&id=7', 'recipeid=REDACTED&id=7'],
  ['; as a separator', '?a=1;partnerbillingkey=k', '?a=1;partnerbillingkey=REDACTED'],
  ['an empty value', '?recipeid=&id=7', '?recipeid=REDACTED&id=7'],
  ['a value cut by a fragment', '?recipeid=r#part', '?recipeid=REDACTED#part'],
  ['a name that only ends like one', '?myrecipeid=r&xpartnerBillingKey=k', '?myrecipeid=r&xpartnerBillingKey=k'],
  ['a known secret anywhere, raw', `Invalid partnerBillingKey ${BILLING_KEY} sent`, 'Invalid partnerBillingKey REDACTED sent'],
  ['a known secret anywhere, percent-encoded', `key=${encodeURIComponent(BILLING_KEY)}`, 'key=REDACTED'],
  ['percent-encoded in lower-case hex', `/orders/${lowerHexEncoded(BILLING_KEY)}/items`, '/orders/REDACTED/items'],
  ['percent-encoded in mixed case, and characters encoded that need not be', 'x tK%2b9%2Fx2Q%3D%3dab+c%64/ef%3D y', 'x REDACTED y'],
  ['a letter of the secret in another case is another value', `x ${BILLING_KEY.toUpperCase()} y`, `x ${BILLING_KEY.toUpperCase()} y`],
  ['a secret too short to look for', 'a short text', 'a short text'],
  ['text without either', '/orders/13-abc/items/cancel?dryRun=true', '/orders/13-abc/items/cancel?dryRun=true']
]

t.test('credentialRedactor', async (t) => {
  for (const [what, text, expected] of cases) t.equal(redact(text), expected, what)
  const nested = credentialRedactor(['0123456789', '0123456789-and-more'])
  t.equal(nested('x 0123456789-and-more y'), 'x REDACTED y', 'a secret that contains another is replaced whole')
  t.equal(credentialRedactor(['short'])('a short text ?recipeid=r'), 'a short text ?recipeid=REDACTED', 'with no secret long enough, the parameters are still redacted')
  t.equal(credentialRedactor(['pässwort-ü'])('p%C3%A4sswort-%c3%bc'), 'REDACTED', 'a character beyond ASCII, as its UTF-8 bytes')
})
