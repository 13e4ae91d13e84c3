/**
 * A tiny router over a declarative table of routes (method + path → handler), and the query
 * parser. Gooten's answers (IIS error pages, ASP.NET `Message` bodies) show the stack it runs
 * on: IIS matches paths ignoring case and one trailing slash, ASP.NET binds query names
 * ignoring case. The control routes match their paths exactly.
 */
import type { Exchange } from './exchange.js'

/** `rest` is what a `/*` path matched below its prefix (empty otherwise). */
export type Handler = (ex: Exchange, rest: string) => Promise<void>

export interface Route {
  method: string
  /** An exact path, or a prefix ending in `/*` that matches any path below it. */
  path: string
  handler: Handler
}

export interface RouterOptions {
  /** Match paths as IIS does: ignoring case and one trailing slash. */
  iisPaths?: boolean
  /** No route has the path. */
  notFound: Handler
  /** A route has the path, but not with this method. */
  wrongMethod: Handler
}

/** Handlers by method, for one path or prefix. */
type Methods = Map<string, Handler>

function methodsOf (table: Map<string, Methods>, key: string): Methods {
  let methods = table.get(key)
  if (methods === undefined) table.set(key, methods = new Map())
  return methods
}

const lowerCase = (path: string): string => path.toLowerCase()
const asSent = (path: string): string => path

/** Routes each request to its handler; exact paths win over prefixes. */
export function router (routes: readonly Route[], options: RouterOptions): (ex: Exchange) => Promise<void> {
  const iis = options.iisPaths === true
  const fold = iis ? lowerCase : asSent
  const exact = new Map<string, Methods>()
  const prefixes = new Map<string, Methods>()
  for (const { method, path, handler } of routes) {
    if (path.endsWith('/*')) {
      methodsOf(prefixes, fold(path.slice(0, -1))).set(method, handler)
    } else {
      const methods = methodsOf(exact, fold(path))
      methods.set(method, handler)
      if (iis) exact.set(fold(path) + '/', methods)
    }
  }
  return ex => {
    const path = fold(ex.path)
    let methods = exact.get(path)
    let rest = ''
    if (methods === undefined) {
      for (const [prefix, under] of prefixes) {
        if (path.startsWith(prefix)) {
          methods = under
          rest = ex.path.slice(prefix.length)
          break
        }
      }
      if (methods === undefined) return options.notFound(ex, '')
    }
    const handler = methods.get(ex.method)
    return handler === undefined ? options.wrongMethod(ex, '') : handler(ex, rest)
  }
}

/** Query parameters keyed by lower-cased name; the first value of a repeated name wins. */
export type Params = Map<string, string>

export function parseQuery (query: string): Params {
  const params: Params = new Map()
  if (query === '') return params
  for (const [name, value] of new URLSearchParams(query)) {
    const key = name.toLowerCase()
    if (!params.has(key)) params.set(key, value)
  }
  return params
}
