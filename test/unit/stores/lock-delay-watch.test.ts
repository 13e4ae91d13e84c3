import { once } from 'node:events'
import { EventEmitter } from 'node:events'
import t from 'tap'
import { LockDelayWatch } from '../../../src/stores/lock-delay-watch.js'

t.test('the gauge is up from the first report to the latest end; one warning per loss found', async (t) => {
  const lines: string[] = []
  const gauge: boolean[] = []
  const ended = new EventEmitter()
  let now = 0
  const watch = new LockDelayWatch({ warn: (_o, message) => lines.push(`warn ${message}`), info: (_o, message) => { lines.push(`info ${message}`); ended.emit('ended') } },
    (inForce) => gauge.push(inForce), () => now)
  t.teardown(() => watch.close())
  watch.report(50, true)
  t.same(gauge, [true])
  now = 10
  watch.report(20, false)
  t.same(gauge, [true], 'an earlier end changes nothing')
  watch.report(60, false)
  t.same(gauge, [true, true], 'a later end holds it up longer')
  await once(ended, 'ended')
  t.same(gauge, [true, true, false])
  t.same(lines, ['warn the lock store lost its state; cancels answer 503 until the lock-delay ends', 'info the lock-delay has ended; cancels go ahead again'])
})

t.test('closing stops the timer', async (t) => {
  const gauge: boolean[] = []
  const watch = new LockDelayWatch({ warn: () => {}, info: () => {} }, (inForce) => gauge.push(inForce))
  watch.report(60_000, false)
  watch.close()
  t.same(gauge, [true])
})
