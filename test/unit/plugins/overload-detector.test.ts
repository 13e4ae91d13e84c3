import t from 'tap'
import { BUSY_SHARE, OverloadDetector, SAMPLE_INTERVAL_MS } from '../../../src/plugins/overload-detector.js'

const THRESHOLD_MS = 1000

/** A pretend event loop: time passes either waiting for I/O (idle) or running code (busy). */
function setup (): {
  detector: OverloadDetector
  idle: (ms: number) => void
  busy: (ms: number) => void
  fire: () => void
  timers: { scheduled: number, stopped: number, intervalMs: number }
} {
  const loop = { now: 50_000, active: 7_000 }
  const timers = { scheduled: 0, stopped: 0, intervalMs: 0 }
  let sample: (() => void) | undefined
  const detector = new OverloadDetector({
    thresholdMs: THRESHOLD_MS,
    now: () => loop.now,
    activeMs: () => loop.active,
    schedule: (callback, intervalMs) => {
      timers.scheduled++
      timers.intervalMs = intervalMs
      sample = callback
      return () => { timers.stopped++ }
    }
  })
  return {
    detector,
    idle: (ms) => { loop.now += ms },
    busy: (ms) => { loop.now += ms; loop.active += ms },
    fire: () => { sample?.() },
    timers
  }
}

t.test('not measuring before start, and what the loop did before start does not count', async (t) => {
  const { detector, busy, fire, timers } = setup()
  busy(5000)
  t.equal(detector.overloaded, false, 'startup work before listening is not overload')
  detector.start()
  t.same({ scheduled: timers.scheduled, intervalMs: timers.intervalMs }, { scheduled: 1, intervalMs: SAMPLE_INTERVAL_MS })
  t.equal(detector.overloaded, false)
  fire()
  t.equal(detector.overloaded, false)
})

t.test('a timer late by less than the threshold is never overload, however busy the loop', async (t) => {
  const { detector, busy, fire } = setup()
  detector.start()
  for (let window = 0; window < 5; window++) {
    busy(SAMPLE_INTERVAL_MS + THRESHOLD_MS - 1)
    t.equal(detector.overloaded, false, 'at request time')
    fire()
    t.equal(detector.overloaded, false, 'after the sample')
  }
})

t.test('late beyond the threshold while idle (descheduled, throttled, paused): not overload', async (t) => {
  const { detector, idle, busy, fire } = setup()
  detector.start()
  busy(20)
  idle(SAMPLE_INTERVAL_MS + 3000)
  t.equal(detector.overloaded, false, 'at request time')
  fire()
  t.equal(detector.overloaded, false, 'after the sample')
  // Busy for a good part of the lateness, but not for most of it.
  idle(SAMPLE_INTERVAL_MS)
  busy(BUSY_SHARE * 2000 - 10)
  idle(2010 - BUSY_SHARE * 2000)
  fire()
  t.equal(detector.overloaded, false)
})

t.test('late beyond the threshold because our code kept the loop busy: overload, until a normal window', async (t) => {
  const { detector, idle, busy, fire } = setup()
  detector.start()
  busy(SAMPLE_INTERVAL_MS + THRESHOLD_MS)
  fire()
  t.equal(detector.overloaded, true)
  t.equal(detector.overloaded, true, 'until the next sample')
  idle(SAMPLE_INTERVAL_MS - 30)
  busy(30)
  fire()
  t.equal(detector.overloaded, false, 'recovers on the next normal window')
})

t.test('a block that starts just before the timer is due counts in full', async (t) => {
  const { detector, idle, busy, fire } = setup()
  detector.start()
  // The loop's utilisation over the whole window is only 1000/1200; the lateness itself was all busy.
  idle(SAMPLE_INTERVAL_MS)
  busy(THRESHOLD_MS)
  fire()
  t.equal(detector.overloaded, true)
})

t.test('at request time: a timer overdue by the threshold because the loop was busy is overload before it fires', async (t) => {
  const { detector, idle, busy, fire } = setup()
  detector.start()
  fire()
  busy(SAMPLE_INTERVAL_MS + THRESHOLD_MS - 1)
  t.equal(detector.overloaded, false, 'not yet overdue by the threshold')
  busy(1)
  t.equal(detector.overloaded, true, 'requests queued behind the block are shed before the timer runs')
  t.equal(detector.overloaded, true, 'asking again changes nothing')
  fire()
  t.equal(detector.overloaded, true, 'and the sample agrees')
  idle(SAMPLE_INTERVAL_MS)
  fire()
  t.equal(detector.overloaded, false)
  idle(SAMPLE_INTERVAL_MS + THRESHOLD_MS)
  t.equal(detector.overloaded, false, 'overdue while idle is not overload')
})

t.test('stop: the timer is cleared and nothing is shed; a new start measures afresh', async (t) => {
  const { detector, busy, fire, timers } = setup()
  detector.start()
  busy(SAMPLE_INTERVAL_MS + THRESHOLD_MS)
  fire()
  t.equal(detector.overloaded, true)
  detector.stop()
  t.equal(timers.stopped, 1)
  t.equal(detector.overloaded, false)
  busy(5000)
  detector.start()
  t.equal(detector.overloaded, false, 'the block before start does not count')
  detector.stop()
  detector.stop()
  t.equal(timers.stopped, 2, 'stopping twice clears once')
})

t.test('defaults: the real clock, event-loop utilisation and an unref\'d timer', async (t) => {
  const detector = new OverloadDetector({ thresholdMs: THRESHOLD_MS })
  detector.start()
  t.equal(detector.overloaded, false)
  detector.stop()
  t.equal(detector.overloaded, false)
})
