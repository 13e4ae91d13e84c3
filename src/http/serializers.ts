import { SerializerSelector } from '@fastify/fast-json-stringify-compiler'

type SerializerFactory = ReturnType<typeof SerializerSelector>

/**
 * Fastify's serializer factory, compiling each distinct response schema once. Fastify compiles one
 * serializer per route and status, and most of ours share the Problem schema: 53 compilations of 6
 * schemas, each a generated function kept for the life of the process.
 */
export function sharedSerializers (): SerializerFactory {
  const buildCompiler = SerializerSelector()
  return (externalSchemas, options) => {
    const compile = buildCompiler(externalSchemas, options)
    const compiled = new Map<string, ReturnType<typeof compile>>()
    return (route) => {
      // The schema's text is the key: Fastify hands each route its own copy of a shared schema.
      const key = JSON.stringify(route.schema)
      let serializer = compiled.get(key)
      if (serializer === undefined) {
        serializer = compile(route)
        compiled.set(key, serializer)
      }
      return serializer
    }
  }
}
