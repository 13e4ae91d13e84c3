import { once } from 'node:events'
import { EventEmitter } from 'node:events'
import t from 'tap'
import { LockDelayWatch } from '../../../src/stores/lock-delay-watch.js'

t.test('the gauge is up from the first report to the latest end; one warning per loss found', async (t) => {
  const lines: string[] = []
  const gauge: number[] = []
  const ended = new EventEmitter()
  let now = 0
  const watch = new LockDelayWatch({ warn: (_o, message) => lines.push(`warn ${message}`), info: (_o, message) => { lines.push(`info ${message}`); ended.emit('ended') } },
    (seconds) => gauge.push(seconds), () => now)
  t.teardown(() => watch.close())
  watch.report(50, true)
  t.same(gauge, [1])
  now = 10
  watch.report(20, false)
  t.same(gauge, [1], 'an earlier end changes nothing')
  watch.report(1600, false)
  t.same(gauge, [1, 2], 'a later end: the seconds it has left')
  // The watch's timer does not hold the process open; this one does, until the end is seen.
  const alive = setTimeout(() => {}, 10_000)
  await once(ended, 'ended')
  clearTimeout(alive)
  t.same(gauge, [1, 2, 0])
  t.same(lines, ['warn the lock store lost its state; cancels answer 503 until the lock-delay ends', 'info the lock-delay has ended; cancels go ahead again'])
})

t.test('closing stops the timer', async (t) => {
  const gauge: number[] = []
  const watch = new LockDelayWatch({ warn: () => {}, info: () => {} }, (seconds) => gauge.push(seconds))
  watch.report(60_000, false)
  watch.close()
  t.same(gauge, [60])
})
