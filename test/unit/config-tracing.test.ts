import t from 'tap'
import { ConfigError, loadConfig } from '../../src/config.js'

// Tracing is off unless an OTLP endpoint (or the otlp exporter) is configured, and the standard
// switches turn it off again; only OTLP over HTTP is accepted.

const REQUIRED = { GOOTEN_RECIPE_ID: 'r', GOOTEN_PARTNER_BILLING_KEY: 'k' }
const ENDPOINT = 'http://collector:4318'
const tracingWith = (extra: Record<string, string>): unknown => loadConfig({ ...REQUIRED, ...extra }).tracing

t.test('when tracing is on, and with which protocol', async (t) => {
  const cases: Array<[string, Record<string, string>, unknown]> = [
    ['no OTEL variable: off', {}, undefined],
    ['an endpoint: on, protobuf by default', { OTEL_EXPORTER_OTLP_ENDPOINT: ENDPOINT }, { protocol: 'http/protobuf' }],
    ['a traces endpoint: on', { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${ENDPOINT}/v1/traces` }, { protocol: 'http/protobuf' }],
    ['the otlp exporter named: on, at the SDK\'s default endpoint', { OTEL_TRACES_EXPORTER: 'otlp' }, { protocol: 'http/protobuf' }],
    ['the SDK disabled, in any case', { OTEL_EXPORTER_OTLP_ENDPOINT: ENDPOINT, OTEL_SDK_DISABLED: 'TRUE' }, undefined],
    ['OTEL_SDK_DISABLED=false changes nothing', { OTEL_EXPORTER_OTLP_ENDPOINT: ENDPOINT, OTEL_SDK_DISABLED: 'false' }, { protocol: 'http/protobuf' }],
    ['no traces exporter', { OTEL_EXPORTER_OTLP_ENDPOINT: ENDPOINT, OTEL_TRACES_EXPORTER: 'none' }, undefined],
    ['a protocol alone does not turn it on', { OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }, undefined],
    ['JSON', { OTEL_EXPORTER_OTLP_ENDPOINT: ENDPOINT, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }, { protocol: 'http/json' }],
    ['the traces protocol wins', { OTEL_EXPORTER_OTLP_ENDPOINT: ENDPOINT, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/protobuf' }, { protocol: 'http/protobuf' }]
  ]
  for (const [what, extra, expected] of cases) t.same(tracingWith(extra), expected, what)
})

t.test('what is refused is named', async (t) => {
  const cases: Array<[Record<string, string>, string]> = [
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: ENDPOINT, OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }, 'OTEL_EXPORTER_OTLP_PROTOCOL must match pattern "^http/(protobuf|json)$"'],
    [{ OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'grpc' }, 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL'],
    [{ OTEL_TRACES_EXPORTER: 'zipkin' }, 'OTEL_TRACES_EXPORTER must match pattern "^(otlp|none)$"'],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' }, 'OTEL_EXPORTER_OTLP_ENDPOINT'],
    [{ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: '/v1/traces' }, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT']
  ]
  for (const [extra, message] of cases) {
    t.throws(() => loadConfig({ ...REQUIRED, ...extra }), new ConfigError(message), message)
  }
})
