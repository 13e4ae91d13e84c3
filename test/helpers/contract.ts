import { readFileSync } from 'node:fs'
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js'
import formats from 'ajv-formats'

/**
 * Contract check: every answer the integration tests receive is checked against the committed
 * OpenAPI document, the one callers generate their clients from. The operation is found by method
 * and path template, then the status, then the content type; the body is validated with Ajv
 * (JSON Schema 2020-12, the dialect of OpenAPI 3.1) against the document's own schemas, and each
 * response header the document declares is checked too. Anything undocumented throws.
 */

interface Header { $ref?: string, required?: boolean, schema: { type?: string } }
interface DocumentedResponse { headers?: Record<string, Header>, content?: Record<string, unknown> }
interface Operation { responses: Record<string, DocumentedResponse> }
interface Document {
  paths: Record<string, Record<string, Operation>>
  components: { headers: Record<string, Header> }
}

const DOCUMENT_ID = 'openapi.json'
const document = JSON.parse(readFileSync(new URL('../../openapi/openapi.json', import.meta.url), 'utf8')) as Document

const ajv = new Ajv2020({ allErrors: true, strict: true })
formats.default(ajv)
// The document is the base its schemas' $refs resolve against; its own fields (openapi, info,
// paths…) are not JSON Schema keywords, so they are declared for strict mode to accept it.
ajv.addVocabulary(Object.keys(document))
ajv.addSchema(document as object, DOCUMENT_ID)

const compiled = new Map<string, ValidateFunction>()
/** A validator for the schema at this JSON pointer of the document; its $refs resolve in the document. */
function validatorAt (segments: string[]): ValidateFunction {
  const pointer = segments.map((segment) => encodeURIComponent(segment.replaceAll('~', '~0').replaceAll('/', '~1'))).join('/')
  let validate = compiled.get(pointer)
  if (validate === undefined) {
    validate = ajv.compile({ $ref: `${DOCUMENT_ID}#/${pointer}` })
    compiled.set(pointer, validate)
  }
  return validate
}

const routes = Object.keys(document.paths).map((template) => ({
  template,
  pattern: new RegExp(`^${template.replace(/\{[^/}]+\}/g, '[^/]+')}$`)
}))

/** Swagger UI and the document itself: served by @fastify/swagger-ui, not part of the API. */
const DOCUMENTATION = /^\/docs(\/|$)/

export interface Answer {
  method: string
  /** The request path as sent, with or without its query. */
  path: string
  status: number
  /** fetch's Headers, or undici's and light-my-request's plain objects. */
  headers: Headers | Record<string, string | string[] | number | undefined>
  text: string
}

function headerOf (headers: Answer['headers'], name: string): string | undefined {
  if (headers instanceof Headers) return headers.get(name) ?? undefined
  const value = headers[name.toLowerCase()]
  return Array.isArray(value) ? value.join(', ') : value?.toString()
}

function describe (validate: ValidateFunction): string {
  return (validate.errors ?? []).map((error) => `${error.instancePath === '' ? '(value)' : error.instancePath} ${error.message ?? error.keyword} ${JSON.stringify(error.params)}`).join('; ')
}

/** Checks the body against the documented media type of this response. */
function checkBody (answer: Answer, location: string[], response: DocumentedResponse, problems: string[]): void {
  const contentType = headerOf(answer.headers, 'content-type')
  const content = response.content ?? {}
  if (Object.keys(content).length === 0) {
    if (answer.text !== '') problems.push('has a body, but the document declares none')
    return
  }
  const mediaType = contentType?.split(';')[0]?.trim().toLowerCase() ?? '(none)'
  if (!(mediaType in content)) {
    problems.push(`content type ${mediaType} is not documented (documented: ${Object.keys(content).join(', ')})`)
    return
  }
  let body: unknown = answer.text
  if (/[/+]json$/.test(mediaType)) {
    try {
      body = JSON.parse(answer.text)
    } catch {
      problems.push(`the ${mediaType} body is not JSON`)
      return
    }
  }
  const validate = validatorAt([...location, 'content', mediaType, 'schema'])
  if (!validate(body)) problems.push(`body does not match the schema: ${describe(validate)}`)
}

/** Checks each header the document declares for this response: present when required, valid when present. */
function checkHeaders (answer: Answer, location: string[], response: DocumentedResponse, problems: string[]): void {
  for (const [name, declared] of Object.entries(response.headers ?? {})) {
    const componentName = declared.$ref?.replace('#/components/headers/', '')
    const header = componentName === undefined ? declared : document.components.headers[componentName] as Header
    const headerLocation = componentName === undefined ? [...location, 'headers', name] : ['components', 'headers', componentName]
    const raw = headerOf(answer.headers, name)
    if (raw === undefined) {
      if (header.required === true) problems.push(`required header ${name} is missing`)
      continue
    }
    // Header values are text on the wire; a numeric schema describes the number it spells.
    const numeric = header.schema.type === 'integer' || header.schema.type === 'number'
    const value = numeric && /^-?\d+(\.\d+)?$/.test(raw) ? Number(raw) : raw
    const validate = validatorAt([...headerLocation, 'schema'])
    if (!validate(value)) problems.push(`header ${name}: ${JSON.stringify(raw)} does not match its schema: ${describe(validate)}`)
  }
}

/** Throws when the answer is not what the OpenAPI document says this request may get. */
export function checkAnswer (answer: Answer): void {
  const path = answer.path.split('?')[0] as string
  if (DOCUMENTATION.test(path)) return
  const method = answer.method.toLowerCase()
  const route = routes.find(({ pattern }) => pattern.test(path))
  const operation = route === undefined ? undefined : document.paths[route.template]?.[method]
  const problems: string[] = []
  if (route === undefined || operation === undefined) {
    // No operation: the only documented answer is the 404 problem of an unknown route.
    const validate = validatorAt(['components', 'schemas', 'Problem'])
    const body = answer.text === '' ? undefined : JSON.parse(answer.text) as { code?: string }
    if (answer.status !== 404 || body?.code !== 'NOT_FOUND') problems.push('is not a documented operation, and the answer is not the NOT_FOUND problem')
    else if (!validate(body)) problems.push(`the NOT_FOUND problem does not match Problem: ${describe(validate)}`)
    checkHeaders(answer, [], { headers: { 'X-Request-Id': { $ref: '#/components/headers/X-Request-Id', schema: {} } } }, problems)
  } else {
    const status = String(answer.status)
    const documented = Object.keys(operation.responses)
    if (!documented.includes(status)) {
      problems.push(`status ${status} is not documented (documented: ${documented.join(', ')})`)
    } else {
      const response = operation.responses[status] as DocumentedResponse
      const location = ['paths', route.template, method, 'responses', status]
      checkBody(answer, location, response, problems)
      checkHeaders(answer, location, response, problems)
    }
  }
  if (problems.length > 0) {
    throw new Error(`Contract: ${answer.method.toUpperCase()} ${answer.path} answered ${answer.status}, which breaks openapi/openapi.json:\n- ${problems.join('\n- ')}\nbody: ${answer.text.slice(0, 500)}`)
  }
}

/** fetch(), with the answer checked against the document; the body can still be read. */
export async function checkedFetch (url: string, init: RequestInit = {}): Promise<Response> {
  const response = await fetch(url, init)
  const { pathname, search } = new URL(url)
  checkAnswer({ method: init.method ?? 'GET', path: `${pathname}${search}`, status: response.status, headers: response.headers, text: await response.clone().text() })
  return response
}
