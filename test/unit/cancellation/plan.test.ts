import t from 'tap'
import { CancellationError } from '../../../src/cancellation/errors.js'
import { planCancellation } from '../../../src/cancellation/plan.js'
import type { GootenOrder } from '../../../src/gooten/types.js'

function order (items: Array<[number | null, string]>): GootenOrder {
  return { safeId: '13-a', gootenId: 520718, items: items.map(([itemId, status]) => ({ itemId, sku: null, quantity: null, status })) }
}

function rejection (fn: () => unknown): CancellationError {
  try {
    fn()
  } catch (error) {
    if (error instanceof CancellationError) return error
    throw error
  }
  throw new Error('no CancellationError')
}

t.test('every item cancellable: all forwarded, in request order', async (t) => {
  const plan = planCancellation(order([[1, 'New'], [2, 'Hold'], [3, 'Shipped']]), [2, 1])
  t.same(plan, {
    items: [
      { itemId: 2, previousStatus: 'Hold', alreadyCancelled: false },
      { itemId: 1, previousStatus: 'New', alreadyCancelled: false }
    ],
    toForward: [2, 1]
  })
})

t.test('already cancelled items are not forwarded', async (t) => {
  const plan = planCancellation(order([[1, 'New'], [2, 'Canceled']]), [2, 1])
  t.same(plan, {
    items: [
      { itemId: 2, previousStatus: 'Canceled', alreadyCancelled: true },
      { itemId: 1, previousStatus: 'New', alreadyCancelled: false }
    ],
    toForward: [1]
  })
  t.same(planCancellation(order([[2, 'Cancelled']]), [2]).toForward, [])
})

t.test('items without an id are ignored; an id listed twice with one status is that status', async (t) => {
  const plan = planCancellation(order([[null, 'Shipped'], [1, 'New'], [1, 'new']]), [1])
  t.same(plan, { items: [{ itemId: 1, previousStatus: 'New', alreadyCancelled: false }], toForward: [1] })
})

t.test('an id listed twice with different statuses is not guessed at: nothing forwarded, in either order', async (t) => {
  for (const listings of [[[1, 'New'], [1, 'Shipped']], [[1, 'Shipped'], [1, 'New']], [[1, 'New'], [1, 'Cancelled'], [1, 'New']]] as Array<Array<[number, string]>>) {
    const error = rejection(() => planCancellation(order([...listings, [2, 'New']]), [1, 2]))
    t.equal(error.code, 'ITEMS_NOT_CANCELLABLE')
    t.equal(error.message, '1 of the requested items cannot be cancelled; Gooten\'s order lists 1 of them more than once with different statuses.')
    t.same(error.items, [
      { itemId: 1, result: 'failed', previousStatus: null, reason: 'Gooten\'s order lists this item more than once, with different statuses; it cannot be checked, so nothing was forwarded.' },
      { itemId: 2, result: 'not_attempted', previousStatus: 'New', reason: 'Not forwarded: another requested item failed a pre-check.' }
    ])
  }
  t.same(planCancellation(order([[1, 'New'], [1, 'Shipped'], [2, 'New']]), [2]).toForward, [2], 'an item not asked for does not matter')
})

t.test('an item not in the order: ITEMS_NOT_IN_ORDER, nothing forwarded', async (t) => {
  const error = rejection(() => planCancellation(order([[1, 'New'], [2, 'Shipped']]), [1, 9, 2]))
  t.equal(error.code, 'ITEMS_NOT_IN_ORDER')
  t.equal(error.name, 'CancellationError')
  t.match(error.message, /^1 of the requested items/)
  t.match(rejection(() => planCancellation(order([[1, 'New']]), [7, 8, 1])).message, /^2 of the requested items/)
  t.same(error.items, [
    { itemId: 1, result: 'not_attempted', previousStatus: 'New', reason: 'Not forwarded: another requested item failed a pre-check.' },
    { itemId: 9, result: 'failed', previousStatus: null, reason: 'The order has no item with this id.' },
    { itemId: 2, result: 'not_attempted', previousStatus: 'Shipped', reason: 'Not forwarded: another requested item failed a pre-check.' }
  ])
})

t.test('missing items are reported before statuses', async (t) => {
  t.equal(rejection(() => planCancellation(order([[1, 'Shipped']]), [1, 2])).code, 'ITEMS_NOT_IN_ORDER')
})

t.test('an item past pre-production: ITEMS_NOT_CANCELLABLE with each status', async (t) => {
  const error = rejection(() => planCancellation(order([[1, 'New'], [2, 'InProduction'], [3, 'Cancelled'], [4, 'Shipped']]), [1, 2, 3, 4]))
  t.equal(error.code, 'ITEMS_NOT_CANCELLABLE')
  t.match(error.message, /^2 of the requested items/)
  t.same(error.items.map((i) => [i.itemId, i.result, i.previousStatus]), [
    [1, 'not_attempted', 'New'],
    [2, 'failed', 'InProduction'],
    [3, 'not_attempted', 'Cancelled'],
    [4, 'failed', 'Shipped']
  ])
  t.match(error.items[1]?.reason, /InProduction/)
})
