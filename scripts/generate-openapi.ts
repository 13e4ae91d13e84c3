import { writeFile } from 'node:fs/promises'
import { openapiDocument, serialise } from '../src/openapi.js'

const target = new URL('../openapi/openapi.json', import.meta.url)
await writeFile(target, serialise(await openapiDocument()))
process.stdout.write(`wrote ${target.pathname}\n`)
