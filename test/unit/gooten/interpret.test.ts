import t from 'tap'
import type { TestContext } from '../helpers/tap.js'
import { GootenError } from '../../../src/gooten/errors.js'
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
  })

  t.test('a valid order inside a HadError:false envelope', async (t) => {
    t.equal(interpretOrder(json({ ...ORDER, HadError: false, Errors: [] })).gootenId, 520718)
  })

  t.test('401 and 403 are credential refusals, whatever the body', async (t) => {
    for (const status of [401, 403]) {
      const error = failure(t, () => interpretOrder(json(ORDER, status)))
      t.equal(error.failure, 'credentials_refused')
      t.equal(error.op, 'getOrder')
      t.equal(error.details.status, status)
      t.equal(failure(t, () => interpretOrder(other('html', status))).failure, 'credentials_refused')
    }
  })

  t.test('429 and 5xx are unavailable, with and without Retry-After', async (t) => {
    for (const status of [429, 500, 502, 503, 504]) {
      const plain = failure(t, () => interpretOrder(other('html', status)))
      t.equal(plain.failure, 'unavailable')
      t.equal(plain.details.status, status)
      t.notOk('retryAfterMs' in plain.details, 'no retryAfterMs when Gooten sent none')
      const timed = failure(t, () => interpretOrder(json({ Message: 'busy' }, status, 2000)))
      t.equal(timed.failure, 'unavailable')
      t.equal(timed.details.retryAfterMs, 2000)
      t.notMatch(timed.message, 'busy')
    }
  })

  t.test('HTML, invalid JSON', async (t) => {
    const html = failure(t, () => interpretOrder(other('html')))
    t.equal(html.failure, 'bad_response')
    t.equal(html.details.status, 200)
    t.equal(failure(t, () => interpretOrder(other('invalid_json'))).failure, 'bad_response')
    t.equal(failure(t, () => interpretOrder(other('html', 404))).failure, 'bad_response', 'a 404 HTML page is a wrong path, not a missing order')
  })

  t.test('empty body: 404 means no such order, otherwise a bad response', async (t) => {
    const missing = failure(t, () => interpretOrder(other('empty', 404)))
    t.equal(missing.failure, 'not_found')
    t.equal(missing.details.status, 404)
    t.equal(failure(t, () => interpretOrder(other('empty', 200))).failure, 'bad_response')
    t.equal(failure(t, () => interpretOrder(other('empty', 400))).failure, 'bad_response')
  })

  t.test('Message-only bodies', async (t) => {
    for (const message of ['Invalid recipeId', 'bad RecipeID supplied', 'Invalid billing key', 'Authorization has been denied for this request.', 'Not authorised', 'Missing API key', 'Bad credentials']) {
      const error = failure(t, () => interpretOrder(json({ Message: message })))
      t.equal(error.failure, 'credentials_refused', message)
      t.notMatch(error.message, message)
    }
    const other = failure(t, () => interpretOrder(json({ Message: GOOTEN_TEXT }, 400)))
    t.equal(other.failure, 'bad_response')
    t.equal(other.details.status, 400)
    t.notMatch(other.message, 'secret-upstream-text', 'Gooten\'s words are not repeated')
  })

  t.test('JSON null is a missing order', async (t) => {
    t.equal(failure(t, () => interpretOrder(json(null))).failure, 'not_found')
  })

  t.test('HadError envelopes', async (t) => {
    const envelope = (message: string, property = 'Order') => ({ HadError: true, Errors: [{ PropertyName: property, ErrorMessage: message, AttemptedValue: '' }] })

    const credential = failure(t, () => interpretOrder(json(envelope('The partner billing key is wrong'))))
    t.equal(credential.failure, 'credentials_refused')
    t.equal(failure(t, () => interpretOrder(json(envelope('is invalid', 'RecipeId')))).failure, 'credentials_refused', 'the property name counts too')
    t.equal(failure(t, () => interpretOrder(json(envelope('Invalid recipe id'), 404))).failure, 'credentials_refused', 'credential words win over a 404')

    for (const message of ['Order not found', 'The order could not be found', 'Order does not exist', 'No such order', 'Unknown order id']) {
      t.equal(failure(t, () => interpretOrder(json(envelope(message)))).failure, 'not_found', message)
    }
    t.equal(failure(t, () => interpretOrder(json(envelope('Something odd'), 404))).failure, 'not_found', 'a 404 envelope is not found whatever it says')
    t.equal(failure(t, () => interpretOrder(json({ HadError: true }, 404))).failure, 'not_found', 'Errors may be missing')

    const odd = failure(t, () => interpretOrder(json(envelope(GOOTEN_TEXT))))
    t.equal(odd.failure, 'bad_response')
    t.notMatch(odd.message, 'secret-upstream-text')
    t.equal(failure(t, () => interpretOrder(json({ HadError: true, Errors: null }))).failure, 'bad_response')
    t.equal(failure(t, () => interpretOrder(json({ HadError: true, Errors: [{}] }))).failure, 'bad_response', 'entries without text')
    t.equal(failure(t, () => interpretOrder(json({ ...ORDER, HadError: true, Errors: [] }))).failure, 'bad_response', 'HadError wins over an order-shaped body')
  })

  t.test('404 with a JSON body that is no envelope is a missing order', async (t) => {
    t.equal(failure(t, () => interpretOrder(json({ error: 'nope' }, 404))).failure, 'not_found')
    t.equal(failure(t, () => interpretOrder(json(ORDER, 404))).failure, 'not_found')
  })

  t.test('other non-2xx statuses are bad responses', async (t) => {
    for (const status of [100, 199, 300, 400, 409, 501]) {
      const error = failure(t, () => interpretOrder(json(ORDER, status)))
      t.equal(error.failure, 'bad_response', `HTTP ${status}`)
      t.equal(error.details.status, status)
    }
    t.equal(interpretOrder(json(ORDER, 299)).gootenId, 520718, '299 is still success')
    t.equal(interpretOrder(json(ORDER, 201)).gootenId, 520718)
  })

  t.test('a 2xx body of unknown shape', async (t) => {
    for (const value of [{ Result: { Foo: 1 } }, [], 'text', 42, { Items: [{ Sku: 'no status' }] }, { Items: 'none' }, { ...ORDER, GootenId: 'abc' }]) {
      t.equal(failure(t, () => interpretOrder(json(value))).failure, 'bad_response', JSON.stringify(value))
    }
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
    t.equal(failure(t, () => interpretCancel(json({}, 401), requested)).failure, 'credentials_refused')
    const busy = failure(t, () => interpretCancel(other('html', 503, 1000), requested))
    t.equal(busy.failure, 'unavailable')
    t.equal(busy.op, 'cancelItems')
    t.equal(busy.details.retryAfterMs, 1000)
    t.equal(failure(t, () => interpretCancel(other('html'), requested)).failure, 'bad_response')
    t.equal(failure(t, () => interpretCancel(other('invalid_json'), requested)).failure, 'bad_response')
    const empty404 = failure(t, () => interpretCancel(other('empty', 404), requested))
    t.equal(empty404.failure, 'bad_response', 'an empty 404 on cancel is not "order not found"')
    t.equal(empty404.op, 'cancelItems')
    t.equal(failure(t, () => interpretCancel(json({ Message: 'Invalid recipeId' }), requested)).failure, 'credentials_refused')
    t.equal(failure(t, () => interpretCancel(json({ Message: 'oops' }), requested)).failure, 'bad_response')
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

  t.test('credential words do not win when Gooten confirmed some ids', async (t) => {
    const reply = interpretCancel(json({ HadError: true, Errors: [{ ErrorMessage: 'recipe id warning' }], Success: [6924457] }), requested)
    t.same(reply.succeeded, [6924457])
  })

  t.test('credential words without HadError are not a refusal', async (t) => {
    const reply = interpretCancel(json({ HadError: false, Success: [6924457], Errors: [{ ErrorMessage: 'recipe id warning' }] }), requested)
    t.same(reply, { succeeded: [6924457], refusals: new Map() })
  })

  t.test('HadError without credential words: refusals are read item by item', async (t) => {
    const reply = interpretCancel(json({ HadError: true, Errors: [{ ErrorMessage: 'Item 6924457 status is Shipped' }] }), requested)
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

  t.test('an AttemptedValue not requested falls back to a number in the text', async (t) => {
    const reply = interpretCancel(json({
      HadError: true,
      Errors: [{ ErrorMessage: 'Item 6924458 is in production', AttemptedValue: 999 }]
    }), requested)
    t.same([...reply.refusals], [[6924458, 'not_cancellable_status']])
  })

  t.test('refusals are attributed through a number in the message or property', async (t) => {
    const reply = interpretCancel(json({
      HadError: true,
      Errors: [
        { PropertyName: 'Ids', ErrorMessage: 'Order 520718: item 6924457 does not exist', AttemptedValue: null },
        { PropertyName: 'Item 6924458', ErrorMessage: 'is not part of this order' },
        { ErrorMessage: '12 problems, none with a requested id' },
        { ErrorMessage: 'no number at all' },
        { PropertyName: 'Ids[6924459]' }
      ]
    }), requested)
    t.same([...reply.refusals], [[6924457, 'not_in_order'], [6924458, 'not_in_order'], [6924459, 'unrecognised']])
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
