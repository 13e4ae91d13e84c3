// Loaded with --import before the service: records every module URL the process resolves through
// `import` (ours, and every package it imports) into the file named by MODULE_PROBE_FILE.
import { register } from 'node:module'

register('./hooks.mjs', import.meta.url, { data: { file: process.env.MODULE_PROBE_FILE } })
