import { setTimeout as sleep } from 'node:timers/promises'

/**
 * Waits for something the test cannot be told about directly (a call reaching the simulator, a log
 * line, a socket closing) by checking it every `everyMs`; fails, naming it, after `withinMs`.
 */
export async function eventually (what: string, check: () => boolean | Promise<boolean>, { withinMs = 10_000, everyMs = 10 } = {}): Promise<void> {
  const giveUpAt = Date.now() + withinMs
  while (!(await check())) {
    if (Date.now() > giveUpAt) throw new Error(`still waiting, after ${withinMs} ms, for ${what}`)
    await sleep(everyMs)
  }
}
