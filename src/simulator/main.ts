// Process entry: `node dist/simulator/main.js` (configuration in env.ts).
import { simulatorOptionsFromEnv } from './env.js'
import { startSimulator } from './server.js'

const sim = await startSimulator(simulatorOptionsFromEnv(process.env))
console.log(`gooten simulator listening on ${sim.url}`)
const stop = (): Promise<void> => sim.close()
process.once('SIGTERM', stop)
process.once('SIGINT', stop)
