import t from 'tap'
import type { TestContext } from '../helpers/tap.js'
import { GootenError, type GootenFailure } from '../../../src/gooten/errors.js'
import { interpretCancel, interpretOrder, type RawAnswer } from '../../../src/gooten/interpret.js'

function json (value: unknown, status = 200, retryAfterMs?: number): RawAnswer {
  return { status, retryAfterMs, body: { kind: 'json', value } }
}
function other (kind: 'html' | 'invalid_json' | 'empty', status = 200, retryAfterMs?: number): RawAnswer {
  return { status, retryAfterMs, body: { kind } }
}

/** Runs `fn`, which must throw a GootenError; returns it. */
function failure (t: TestContext, fn: () => unknown): GootenError {
  try {
    fn()
  } catch (error) {
    t.ok(error instanceof GootenError, 'throws a GootenError')
    return error as GootenError
  }
  t.fail('did not throw')
  throw new Error('unreachable')
}

const ORDER = {
  Id: '13-f91acc87-bd23-40df-91f4-72dad9a3c971',
  NiceId: 'ABC123',
  GootenId: 520718,
  Items: [
    { Sku: 'SKU-1', Quantity: 2, Status: 'New', Images: [{ SourceUrl: 'x', OrderItemId: 6924457 }] },
    { Sku: 'SKU-2', Quantity: 1, Status: 'Shipped', Images: [{ OrderItemId: 6924458 }] }
  ]
}

const GOOTEN_TEXT = 'Order 13-secret-upstream-text not valid'

const envelope = (message: string, property = 'Order'): object => ({ HadError: true, Errors: [{ PropertyName: property, ErrorMessage: message, AttemptedValue: '' }] })

t.test('interpretOrder', async (t) => {
  t.test('a valid order', async (t) => {
    t.same(interpretOrder(json(ORDER)), {
      safeId: ORDER.Id,
      gootenId: 520718,
      items: [
        { itemId: 6924457, sku: 'SKU-1', quantity: 2, status: 'New' },
        { itemId: 6924458, sku: 'SKU-2', quantity: 1, status: 'Shipped' }
      ]
    })
    t.equal(interpretOrder(json({ ...ORDER, HadError: false, Errors: [] })).gootenId, 520718, 'inside a HadError:false envelope')
    t.equal(interpretOrder(json(ORDER, 299)).gootenId, 520718, '299 is still success')
    t.equal(interpretOrder(json(ORDER, 201)).gootenId, 520718)
  })

  t.test('what each failing answer means', async (t) => {
    const cases: Array<[string, RawAnswer, GootenFailure]> = [
      ...[401, 403].flatMap((status): Array<[string, RawAnswer, GootenFailure]> => [
        [`${status} with an order`, json(ORDER, status), 'credentials_refused'],
        [`${status} with HTML`, other('html', status), 'credentials_refused']
      ]),
      ...[429, 500, 502, 503, 504].map((status): [string, RawAnswer, GootenFailure] => [`${status}`, other('html', status), 'unavailable']),
      ['HTML', other('html'), 'bad_response'],
      ['invalid JSON', other('invalid_json'), 'bad_response'],
      ['a 404 HTML page is a wrong path, not a missing order', other('html', 404), 'bad_response'],
      ['an empty 404', other('empty', 404), 'not_found'],
      ['an empty 200', other('empty', 200), 'bad_response'],
      ['an empty 400', other('empty', 400), 'bad_response'],
      ...['Invalid recipeId', 'bad RecipeID supplied', 'Invalid billing key', 'Authorization has been denied for this request.', 'Not authorised', 'Missing API key', 'Bad credentials']
        .map((message): [string, RawAnswer, GootenFailure] => [`Message "${message}"`, json({ Message: message }), 'credentials_refused']),
      ['another Message', json({ Message: GOOTEN_TEXT }, 400), 'bad_response'],
      ['JSON null', json(null), 'not_found'],
      ['HadError naming the billing key', json(envelope('The partner billing key is wrong')), 'credentials_refused'],
      ['HadError on the RecipeId property', json(envelope('is invalid', 'RecipeId')), 'credentials_refused'],
      ['credential words win over a 404', json(envelope('Invalid recipe id'), 404), 'credentials_refused'],
      ...['Order not found', 'The order could not be found', 'Order does not exist', 'No such order', 'Unknown order id']
        .map((message): [string, RawAnswer, GootenFailure] => [`HadError "${message}"`, json(envelope(message)), 'not_found']),
      ['a 404 envelope, whatever it says', json(envelope('Something odd'), 404), 'not_found'],
      ['a 404 envelope without Errors', json({ HadError: true }, 404), 'not_found'],
      ['HadError with other words', json(envelope(GOOTEN_TEXT)), 'bad_response'],
      ['HadError with null Errors', json({ HadError: true, Errors: null }), 'bad_response'],
      ['HadError with entries without text', json({ HadError: true, Errors: [{}] }), 'bad_response'],
      ['HadError wins over an order-shaped body', json({ ...ORDER, HadError: true, Errors: [] }), 'bad_response'],
      ['a 404 with JSON that is no envelope', json({ error: 'nope' }, 404), 'not_found'],
      ['a 404 with an order', json(ORDER, 404), 'not_found'],
      ...[100, 199, 300, 400, 409, 501].map((status): [string, RawAnswer, GootenFailure] => [`${status} with an order`, json(ORDER, status), 'bad_response']),
      ...[{ Result: { Foo: 1 } }, [], 'text', 42, { Items: [{ Sku: 'no status' }] }, { Items: 'none' }, { ...ORDER, GootenId: 'abc' }]
        .map((value): [string, RawAnswer, GootenFailure] => [`a 2xx ${JSON.stringify(value)}`, json(value), 'order_unreadable'])
    ]
    for (const [label, answer, expected] of cases) {
      const error = failure(t, () => interpretOrder(answer))
      // A missing order is reported as a 404, whatever status carried it; anything else keeps its status.
      t.match(error, { failure: expected, op: 'getOrder', details: { status: expected === 'not_found' ? 404 : answer.status } }, label)
    }
  })

  t.test('an order document we cannot use says why: an item without a text status, or a shape we do not know', async (t) => {
    const withStatus = (status: unknown): object => ({ ...ORDER, Items: [ORDER.Items[0], { ...ORDER.Items[1], Status: status }] })
    const { Status: _dropped, ...withoutStatus } = ORDER.Items[1] as Record<string, unknown>
    const cases: Array<[string, unknown, string]> = [
      ['Status null', withStatus(null), 'item_without_status'],
      ['Status a number', withStatus(3), 'item_without_status'],
      ['no Status', { ...ORDER, Items: [ORDER.Items[0], withoutStatus] }, 'item_without_status'],
      ['an item that is not an object', { ...ORDER, Items: [ORDER.Items[0], null] }, 'unknown_shape'],
      ['a bad GootenId', { ...ORDER, GootenId: 'abc' }, 'unknown_shape'],
      ['no Items', { Result: { Foo: 1 } }, 'unknown_shape'],
      ['not an object', 42, 'unknown_shape']
    ]
    for (const [label, value, reason] of cases) {
      t.match(failure(t, () => interpretOrder(json(value))), { failure: 'order_unreadable', details: { unreadable: reason } }, label)
    }
  })

  t.test('Retry-After is passed on with an unavailable answer, and only when Gooten sent one', async (t) => {
    t.notOk('retryAfterMs' in failure(t, () => interpretOrder(other('html', 503))).details)
    const timed = failure(t, () => interpretOrder(json({ Message: 'busy' }, 503, 2000)))
    t.match(timed, { failure: 'unavailable', details: { retryAfterMs: 2000 } })
  })

  t.test('Gooten\'s words are never repeated', async (t) => {
    const answers = [json({ Message: 'busy' }, 503, 2000), json({ Message: GOOTEN_TEXT }, 400), json(envelope(GOOTEN_TEXT)), json({ Message: 'Invalid recipeId' })]
    for (const answer of answers) t.notMatch(failure(t, () => interpretOrder(answer)).message, /busy|secret-upstream-text|recipeId/)
  })
})

t.test('interpretCancel', async (t) => {
  const requested = [6924457, 6924458, 6924459]

  t.test('a plain success', async (t) => {
    const reply = interpretCancel(json({ HadError: false, Errors: [], Success: [6924457, 6924458] }), requested)
    t.same(reply.succeeded, [6924457, 6924458])
    t.equal(reply.refusals.size, 0)
  })

  t.test('Success ids may be numeric strings; ids not requested are ignored', async (t) => {
    const reply = interpretCancel(json({ HadError: false, Success: ['6924457', 111, '222', 6924459] }), requested)
    t.same(reply.succeeded, [6924457, 6924459])
  })

  t.test('an answer that names none of the items is not trusted: absent, null or empty Success and Errors', async (t) => {
    for (const body of [{ HadError: false }, { HadError: false, Success: null, Errors: null }, { HadError: false, Success: [], Errors: [] }, { HadError: true, Errors: [{ ErrorMessage: 'Something went wrong' }] }]) {
      const error = failure(t, () => interpretCancel(json(body), requested))
      t.equal(error.failure, 'bad_response', JSON.stringify(body))
      t.ok(error.mayHaveReachedGooten, 'the service reads the order again to learn what happened')
    }
  })

  t.test('common failures apply to cancel too', async (t) => {
    const cases: Array<[string, RawAnswer, GootenFailure]> = [
      ['401', json({}, 401), 'credentials_refused'],
      ['503 with HTML', other('html', 503, 1000), 'unavailable'],
      ['HTML', other('html'), 'bad_response'],
      ['invalid JSON', other('invalid_json'), 'bad_response'],
      ['an empty 404 is not "order not found" on cancel', other('empty', 404), 'bad_response'],
      ['a credential Message', json({ Message: 'Invalid recipeId' }), 'credentials_refused'],
      ['another Message', json({ Message: 'oops' }), 'bad_response']
    ]
    for (const [label, answer, expected] of cases) {
      t.match(failure(t, () => interpretCancel(answer, requested)), { failure: expected, op: 'cancelItems' }, label)
    }
    t.equal(failure(t, () => interpretCancel(other('html', 503, 1000), requested)).details.retryAfterMs, 1000)
  })

  t.test('non-2xx: a readable cancel reply is trusted, anything else is not', async (t) => {
    const reply = interpretCancel(json({
      HadError: true,
      Errors: [{ PropertyName: 'Ids', ErrorMessage: 'Item is in production', AttemptedValue: 6924458 }],
      Success: [6924457]
    }, 400), requested)
    t.same(reply.succeeded, [6924457])
    t.same([...reply.refusals], [[6924458, 'not_cancellable_status']])

    const unreadable = failure(t, () => interpretCancel(json({ error: 'bad' }, 400), requested))
    t.equal(unreadable.failure, 'bad_response')
    t.equal(unreadable.details.status, 400)
    t.equal(failure(t, () => interpretCancel(json(null, 404), requested)).failure, 'bad_response')
  })

  t.test('a 2xx answer of unknown shape', async (t) => {
    for (const value of [null, { Result: { Foo: 1 } }, { HadError: 'no' }, { HadError: false, Success: [1.5] }, { HadError: false, Success: 'all' }]) {
      const error = failure(t, () => interpretCancel(json(value), requested))
      t.equal(error.failure, 'bad_response', JSON.stringify(value))
    }
  })

  t.test('HadError with credential words and no Success is a credential refusal', async (t) => {
    const body = { HadError: true, Errors: [{ PropertyName: 'partnerBillingKey', ErrorMessage: 'is invalid' }] }
    t.equal(failure(t, () => interpretCancel(json(body), requested)).failure, 'credentials_refused')
    t.equal(failure(t, () => interpretCancel(json({ ...body, Success: [] }), requested)).failure, 'credentials_refused')
    t.equal(failure(t, () => interpretCancel(json({ ...body, Success: null }), requested)).failure, 'credentials_refused')
  })

  t.test('credential words do not win when Gooten confirmed the ids', async (t) => {
    const reply = interpretCancel(json({ HadError: true, Errors: [{ ErrorMessage: 'recipe id warning' }], Success: requested }), requested)
    t.same(reply.succeeded, requested)
  })

  t.test('credential words without HadError are not a refusal', async (t) => {
    const reply = interpretCancel(json({ HadError: false, Success: requested, Errors: [{ ErrorMessage: 'recipe id warning' }] }), requested)
    t.same(reply, { succeeded: requested, refusals: new Map() })
  })

  t.test('HadError without credential words: refusals are read item by item', async (t) => {
    const reply = interpretCancel(json({ HadError: true, Errors: [{ ErrorMessage: 'Item status is Shipped', AttemptedValue: 6924457 }] }), requested)
    t.same(reply.succeeded, [])
    t.same([...reply.refusals], [[6924457, 'not_cancellable_status']])
  })

  t.test('refusals are attributed through AttemptedValue', async (t) => {
    const reply = interpretCancel(json({
      HadError: true,
      Errors: [
        { PropertyName: 'Ids[0]', ErrorMessage: 'Order item is shipped', AttemptedValue: 6924457 },
        { ErrorMessage: 'was not found', AttemptedValue: '6924458' },
        { ErrorMessage: 'cannot do that', AttemptedValue: 6924459 }
      ],
      Success: []
    }), requested)
    t.same([...reply.refusals], [
      [6924457, 'not_cancellable_status'],
      [6924458, 'not_in_order'],
      [6924459, 'unrecognised']
    ])
  })

  t.test('or through a PropertyName that is exactly an id', async (t) => {
    const reply = interpretCancel(json({
      HadError: true,
      Errors: [
        { PropertyName: '6924457', ErrorMessage: 'does not exist', AttemptedValue: null },
        { PropertyName: ' 6924458 ', ErrorMessage: 'is shipped' },
        { PropertyName: 'Ids', ErrorMessage: 'cannot do that', AttemptedValue: 6924459 }
      ]
    }), requested)
    t.same([...reply.refusals], [[6924457, 'not_in_order'], [6924458, 'not_cancellable_status'], [6924459, 'unrecognised']])
  })

  t.test('digits in the text are never read as an id: an item a refusal does not name is left to a lookup', async (t) => {
    const unnamed = [
      { ErrorMessage: 'Item 6924458 is in production', AttemptedValue: 999 },
      { PropertyName: 'Item 6924458', ErrorMessage: 'is not part of this order' },
      { PropertyName: 'Ids[6924459]' },
      { PropertyName: 'Ids', ErrorMessage: 'Order 520718: item 6924457 does not exist', AttemptedValue: null }
    ]
    for (const entry of unnamed) {
      const error = failure(t, () => interpretCancel(json({ HadError: true, Errors: [entry] }), requested))
      t.equal(error.failure, 'bad_response', JSON.stringify(entry))
    }
    // Item 2025 was requested; the text holds a date.
    const dated = { HadError: true, Errors: [{ PropertyName: '', ErrorMessage: 'The cancel window closed at 2025-01-01 00:00.', AttemptedValue: '' }], Success: [] }
    t.equal(failure(t, () => interpretCancel(json(dated), [2025])).failure, 'bad_response', 'not a refusal of item 2025')
    // One item confirmed, another unnamed beside a refusal that names no id: the lookup decides.
    const partly = { HadError: true, Errors: [{ ErrorMessage: 'cannot cancel item 6924458' }], Success: [6924457] }
    t.equal(failure(t, () => interpretCancel(json(partly), [6924457, 6924458])).failure, 'bad_response')
  })

  t.test('an item neither confirmed nor refused, with no other refusal, is unconfirmed (only Success counts)', async (t) => {
    const reply = interpretCancel(json({ HadError: false, Errors: [], Success: [6924457] }), [6924457, 6924458])
    t.same(reply, { succeeded: [6924457], refusals: new Map() })
  })

  t.test('refusal reasons', async (t) => {
    const reason = (message: string): string | undefined =>
      interpretCancel(json({ HadError: true, Errors: [{ ErrorMessage: message, AttemptedValue: 6924457 }] }), requested).refusals.get(6924457)
    for (const message of ['Invalid status', 'Item is in production', 'already shipped', 'Order item 6924457 cannot be cancelled in status Printing.', 'already delivered']) {
      t.equal(reason(message), 'not_cancellable_status', message)
    }
    // Gooten's words for a Pending item: nothing says its status is past pre-production.
    for (const message of ['Order item 6924457 cannot be cancelled at this time.', 'The item is currently locked', 'Please try again later']) {
      t.equal(reason(message), 'not_cancellable_now', message)
    }
    for (const message of ['Item not found', 'Item could not be found', 'Item does not exist', 'Item is not part of the order', 'Item not in this order', 'Invalid order item', 'invalid item id']) {
      t.equal(reason(message), 'not_in_order', message)
    }
    for (const message of ['Something went wrong', 'Item cannot be cancelled', 'could not cancel', '']) {
      t.equal(reason(message), 'unrecognised', JSON.stringify(message))
    }
    t.equal(interpretCancel(json({ HadError: true, Errors: [{ AttemptedValue: 6924457 }] }), requested).refusals.get(6924457), 'unrecognised', 'no text at all')
  })
})
