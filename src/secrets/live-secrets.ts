import { readFileSync } from 'node:fs'
import { parseCallerKeys, Secret, type CallerKey, type Config } from '../config.js'
import { credentialRedactor, type Redactor } from '../gooten/redaction.js'
import { WatchedFile } from './watched-file.js'

export type SecretFileVariable = 'API_KEYS_FILE' | 'GOOTEN_RECIPE_ID_FILE' | 'GOOTEN_PARTNER_BILLING_KEY_FILE'

export interface SecretsObserver {
  reloaded: (file: SecretFileVariable) => void
  rejected: (file: SecretFileVariable, reason: string) => void
}

interface SecretFile {
  variable: SecretFileVariable
  file: WatchedFile<unknown>
  apply: (value: unknown) => void
}

export interface GootenCredentials {
  recipeId: Secret
  partnerBillingKey: Secret
}

/** A credential file's value: its content without the trailing line break; an empty one is broken. */
function credentialFrom (variable: string) {
  return (content: string): Secret => {
    const value = content.replace(/[\r\n]+$/, '')
    if (value === '') throw new Error(`${variable} names an empty file`)
    return new Secret(value)
  }
}

function readOrUndefined (path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return undefined
  }
}

/**
 * The credentials and caller keys in force now. Those read from files (API_KEYS_FILE,
 * GOOTEN_RECIPE_ID_FILE, GOOTEN_PARTNER_BILLING_KEY_FILE) are read again every SECRET_FILES_POLL_MS;
 * a good new content replaces the old at once, a broken one is refused and the old values stay.
 * Whoever reads a value keeps it (a request reads the Gooten credentials once, at its start), so
 * requests in flight finish with the values they began with. The redactor knows every value ever in
 * force, the replaced ones too: a request that started before a rotation may still hold them.
 */
export class LiveSecrets {
  #gooten: GootenCredentials
  #callerKeys: CallerKey[] | undefined
  #redactor: Redactor
  readonly #everSeen = new Set<string>()
  /** Each file, and what to do with its new value. */
  readonly #files: SecretFile[] = []
  /** New values read but not yet applied: they wait for a read of every file that finds nothing newer. */
  readonly #pending = new Map<SecretFile, unknown>()
  #observer: SecretsObserver | undefined
  #timer: NodeJS.Timeout | undefined
  #poll: Promise<void> | undefined
  readonly #changeListeners: Array<() => void> = []

  /** Replaces every secret ever in force in caller-supplied text (a reason, a request id, a span). */
  readonly redact: Redactor = (text) => this.#redactor(text)

  constructor (private readonly config: Config) {
    this.#gooten = { recipeId: config.gooten.recipeId, partnerBillingKey: config.gooten.partnerBillingKey }
    this.#callerKeys = config.callerKeys
    this.#redactor = credentialRedactor([])
    this.#learn()
  }

  get gooten (): GootenCredentials {
    return this.#gooten
  }

  get callerKeys (): CallerKey[] | undefined {
    return this.#callerKeys
  }

  /** Called after every change applied (a new Gooten client is built, the key ring replaced). */
  onChange (listener: () => void): void {
    this.#changeListeners.push(listener)
  }

  /** Starts polling the files, if any; never keeps the process alive on its own. */
  start (observer: SecretsObserver): void {
    if (this.#observer !== undefined) return
    this.#observer = observer
    const { secretFiles } = this.config
    const watch = <T>(variable: SecretFileVariable, path: string | undefined, parse: (content: string) => T, apply: (value: T) => void): void => {
      if (path === undefined) return
      const file = new WatchedFile<T>({ path, parse, onRejected: (reason) => { observer.rejected(variable, reason) } }, readOrUndefined(path))
      this.#files.push({ variable, file, apply: apply as (value: unknown) => void })
    }
    watch('API_KEYS_FILE', secretFiles.apiKeys, (content) => {
      const keys = parseCallerKeys(content, 'API_KEYS_FILE')
      if (keys === undefined) throw new Error('API_KEYS_FILE names an empty file')
      return keys
    }, (keys) => { this.#callerKeys = keys })
    watch('GOOTEN_RECIPE_ID_FILE', secretFiles.recipeId, credentialFrom('GOOTEN_RECIPE_ID_FILE'), (recipeId) => { this.#gooten = { ...this.#gooten, recipeId } })
    watch('GOOTEN_PARTNER_BILLING_KEY_FILE', secretFiles.partnerBillingKey, credentialFrom('GOOTEN_PARTNER_BILLING_KEY_FILE'), (partnerBillingKey) => { this.#gooten = { ...this.#gooten, partnerBillingKey } })
    if (this.#files.length === 0) return
    // Not awaited: a poll does not reject (a file it cannot read is refused, not thrown).
    this.#timer = setInterval(() => { this.poll() }, secretFiles.pollMs)
    this.#timer.unref()
  }

  /**
   * Reads every file, and applies what changed all at once: never a new recipe id with an old billing
   * key. The files are read side by side, not at one instant, so a Secret updated in between gives a
   * read with some files old and some new. A change is therefore applied only once a read of every
   * file finds nothing newer; a read that still finds a change leaves it to the next poll.
   * Resolves when this poll is done (a poll already under way is not started twice).
   */
  async poll (): Promise<void> {
    this.#poll ??= this.#readAndApply().finally(() => { this.#poll = undefined })
    await this.#poll
  }

  async #readAndApply (): Promise<void> {
    const changed = await this.#readEveryFile()
    if (changed && await this.#readEveryFile()) return
    if (this.#pending.size === 0) return
    const applied = [...this.#pending]
    this.#pending.clear()
    for (const [entry, value] of applied) entry.apply(value)
    this.#learn()
    for (const listener of this.#changeListeners) listener()
    for (const [entry] of applied) (this.#observer as SecretsObserver).reloaded(entry.variable)
  }

  /** Whether any file has a new good value since the last read; it joins the pending ones. */
  async #readEveryFile (): Promise<boolean> {
    const read = await Promise.all(this.#files.map(async (entry) => ({ entry, value: await entry.file.read() })))
    const changed = read.filter(({ value }) => value !== undefined)
    for (const { entry, value } of changed) this.#pending.set(entry, value)
    return changed.length > 0
  }

  stop (): void {
    clearInterval(this.#timer)
  }

  #learn (): void {
    const before = this.#everSeen.size
    for (const value of [this.#gooten.recipeId, this.#gooten.partnerBillingKey, ...(this.#callerKeys ?? []).map((caller) => caller.key)]) {
      this.#everSeen.add(value.reveal())
    }
    if (this.#everSeen.size !== before) this.#redactor = credentialRedactor([...this.#everSeen])
  }
}
