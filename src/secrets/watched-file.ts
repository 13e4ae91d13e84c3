import { readFile } from 'node:fs/promises'

export interface WatchedFileOptions<T> {
  path: string
  /** The value in the file, or a throw (a ConfigError, whose message names no value) for a broken one. */
  parse: (content: string) => T
  /** A new content that is broken or a file that cannot be read: the previous value stays. */
  onRejected: (reason: string) => void
}

/**
 * A file read again on every poll and compared with what was last read. Kubernetes updates a Secret
 * volume by swapping a symlink, so a read sees the old file or the new one, never half of one; polling
 * a few small files every couple of seconds costs less than watching a directory reliably does.
 */
export class WatchedFile<T> {
  #lastContent: string | undefined

  constructor (private readonly options: WatchedFileOptions<T>, initialContent: string | undefined) {
    this.#lastContent = initialContent
  }

  /** The file's new value; undefined when it has not changed, or is broken (said once per content). Never rejects. */
  async read (): Promise<T | undefined> {
    let content: string
    try {
      content = await readFile(this.options.path, 'utf8')
    } catch {
      // Said once, until the file can be read again.
      if (this.#lastContent !== undefined) this.options.onRejected('the file cannot be read')
      this.#lastContent = undefined
      return undefined
    }
    if (content === this.#lastContent) return undefined
    this.#lastContent = content
    try {
      return this.options.parse(content)
    } catch (error) {
      this.options.onRejected((error as Error).message)
      return undefined
    }
  }
}
