import t from 'tap'
import { simulatorOptionsFromEnv } from '../../src/simulator/env.js'

t.test('defaults', async t => {
  t.same(simulatorOptionsFromEnv({}), {
    host: '127.0.0.1',
    port: 4010,
    recipeId: 'sim-recipe-id',
    partnerBillingKey: 'sim+billing/key==',
    latencyMs: 0
  })
  t.same(simulatorOptionsFromEnv({ SIM_HOST: '', SIM_PORT: '', GOOTEN_RECIPE_ID: '', SIM_NOT_FOUND_STYLE: '' }), simulatorOptionsFromEnv({}), 'empty = unset')
})

t.test('overrides', async t => {
  t.same(simulatorOptionsFromEnv({
    SIM_HOST: '0.0.0.0',
    SIM_PORT: '0',
    GOOTEN_RECIPE_ID: 'r',
    GOOTEN_PARTNER_BILLING_KEY: 'k+/=',
    SIM_LATENCY_MS: '25',
    SIM_NOT_FOUND_STYLE: 'had-error-200',
    SIM_RECANCEL: 'error'
  }), {
    host: '0.0.0.0',
    port: 0,
    recipeId: 'r',
    partnerBillingKey: 'k+/=',
    latencyMs: 25,
    notFoundStyle: 'had-error-200',
    recancel: 'error'
  })
})

t.test('malformed values throw', async t => {
  t.throws(() => simulatorOptionsFromEnv({ SIM_PORT: 'abc' }), /SIM_PORT must be an integer from 0 to 65535, got "abc"/)
  t.throws(() => simulatorOptionsFromEnv({ SIM_PORT: '70000' }), /SIM_PORT/)
  t.throws(() => simulatorOptionsFromEnv({ SIM_LATENCY_MS: '-1' }), /SIM_LATENCY_MS/)
  t.throws(() => simulatorOptionsFromEnv({ SIM_RECANCEL: 'maybe' }), /SIM_RECANCEL must be one of success, error/)
})
