import { readdir, readFile } from 'node:fs/promises'
import { PodMonitor, PrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1'
import { BlockList } from 'node:net'
import { Writable } from 'node:stream'
import t from 'tap'
import { parse } from 'yaml'
import { HTTPRoute } from '@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1'
import { Deployment } from 'kubernetes-models/apps/v1'
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2'
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1'
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1'
import { ConfigMap, Secret, Service } from 'kubernetes-models/v1'
import type { IContainer, IContainerPort } from 'kubernetes-models/v1'
import { buildApp } from '../../src/app.js'
import { ENVIRONMENT_VARIABLES, loadConfig } from '../../src/config.js'
import { SEED } from '../../src/simulator/seed.js'
import { startStack, testConfig } from '../helpers/stack.js'

// No cluster and no kubectl here: the manifests are checked against the published schemas, against
// each other, and against the service itself (its configuration rules and its routes).
const root = new URL('../../', import.meta.url)
const dir = new URL('deploy/kubernetes/', root)
const KUSTOMIZATION = 'kustomization.yaml'
const SECRET_EXAMPLE = 'secret.example.yaml'

const files = (await readdir(dir)).filter((file) => file.endsWith('.yaml')).sort()
const documents = new Map<string, unknown>(await Promise.all(files.map(async (file) => [file, parse(await readFile(new URL(file, dir), 'utf8'))] as const)))
interface Generator { name: string, envs?: string[], files?: string[], options?: { disableNameSuffixHash?: boolean, labels?: Record<string, string> } }
interface Kustomization { namespace: string, resources: string[], images?: Array<{ name: string }>, configMapGenerator?: Generator[], generatorOptions?: Generator['options'] }
const kustomization = documents.get(KUSTOMIZATION) as Kustomization
const manifestFiles = files.filter((file) => file !== KUSTOMIZATION && file !== SECRET_EXAMPLE)

// The monitoring manifests: a kustomization of their own, for clusters with the Prometheus Operator.
const monitoringDir = new URL('monitoring/', dir)
const monitoringFiles = (await readdir(monitoringDir)).filter((file) => file.endsWith('.yaml')).sort()
const monitoringDocuments = new Map<string, unknown>(await Promise.all(monitoringFiles.map(async (file) => [file, parse(await readFile(new URL(file, monitoringDir), 'utf8'))] as const)))
const monitoringKustomization = monitoringDocuments.get(KUSTOMIZATION) as Kustomization

/** KEY=value lines, as kustomize reads an env file: blank lines and lines starting with # are skipped. */
function envFile (text: string): Record<string, string> {
  const data: Record<string, string> = {}
  for (const line of text.split('\n').map((each) => each.trim())) {
    if (line === '' || line.startsWith('#')) continue
    const equals = line.indexOf('=')
    if (equals < 1) throw new Error(`not KEY=value: ${line}`)
    data[line.slice(0, equals)] = line.slice(equals + 1)
  }
  return data
}

// The ConfigMap the kustomization generates (kustomize then suffixes its name with a hash of the data).
const configGenerator = kustomization.configMapGenerator?.[0] as Generator
const generatedConfigMap = {
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: configGenerator.name, labels: configGenerator.options?.labels },
  data: Object.assign({}, ...await Promise.all((configGenerator.envs ?? []).map(async (file) => envFile(await readFile(new URL(file, dir), 'utf8')))))
}

// Every kind the directory may hold, with the class whose validate() checks it against its schema.
interface Validating { validate: () => void }
const MODELS: Record<string, new (data: never) => Validating> = {
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
  'gateway.networking.k8s.io/v1/HTTPRoute': HTTPRoute,
  'monitoring.coreos.com/v1/PodMonitor': PodMonitor,
  'monitoring.coreos.com/v1/PrometheusRule': PrometheusRule
}

function validate (manifest: unknown): void {
  const { apiVersion, kind } = manifest as { apiVersion: string, kind: string }
  const Model = MODELS[`${apiVersion}/${kind}`]
  if (Model === undefined) throw new Error(`no schema for ${apiVersion} ${kind}`)
  new Model(manifest as never).validate()
}

/** The one manifest of this kind in the directory (a test below checks the kustomization applies them all). */
function manifest<T> (Model: { kind: string, new (data: never): T }): T {
  const found = manifestFiles.map((file) => documents.get(file) as { kind: string }).filter((doc) => doc.kind === Model.kind)
  if (found.length !== 1) throw new Error(`expected one ${Model.kind}, found ${found.length}`)
  return new Model(found[0] as never)
}

const deployment = manifest(Deployment)
const service = manifest(Service)
const configMap = new ConfigMap(generatedConfigMap as never)
const route = manifest(HTTPRoute)
const pdb = manifest(PodDisruptionBudget)
const hpa = manifest(HorizontalPodAutoscaler)
const networkPolicy = manifest(NetworkPolicy)
const secret = new Secret(documents.get(SECRET_EXAMPLE) as never)
const pod = deployment.spec?.template
const podLabels = pod?.metadata?.labels ?? {}
const container = pod?.spec?.containers[0] as IContainer
const containerPorts: IContainerPort[] = container.ports ?? []

/** What the kubelet puts in the container's environment: envFrom first, then env, which wins. */
function containerEnvironment (): Record<string, string> {
  const environment: Record<string, string> = {}
  for (const source of container.envFrom ?? []) {
    if (source.configMapRef?.name !== configMap.metadata?.name) throw new Error('envFrom names another ConfigMap')
    Object.assign(environment, configMap.data)
  }
  for (const variable of container.env ?? []) {
    const ref = variable.valueFrom?.secretKeyRef
    if (ref === undefined) {
      environment[variable.name] = variable.value ?? ''
      continue
    }
    if (ref.name !== secret.metadata?.name) throw new Error(`${variable.name} comes from another Secret`)
    const value = secret.stringData?.[ref.key]
    if (value === undefined) throw new Error(`${variable.name}: the Secret has no key ${ref.key}`)
    environment[variable.name] = value
  }
  return environment
}
const environment = containerEnvironment()
const config = loadConfig(environment)

/** A named or numbered port of the container, as a number. */
function containerPort (port: number | string | undefined): number | undefined {
  return typeof port === 'number' ? port : containerPorts.find((candidate) => candidate.name === port)?.containerPort
}

/** `256Mi` as 256; the manifests state memory in Mi or Gi. */
function mebibytes (quantity: string | number | undefined): number {
  const match = /^(\d+)(Mi|Gi)$/.exec(String(quantity))
  if (match === null) throw new Error(`state memory in Mi or Gi, not ${String(quantity)}`)
  return Number(match[1]) * (match[2] === 'Gi' ? 1024 : 1)
}

const selects = (selector: Record<string, string> | undefined, labels: Record<string, string>): boolean =>
  selector !== undefined && Object.keys(selector).length > 0 && Object.entries(selector).every(([key, value]) => labels[key] === value)

t.test('every manifest is valid against the Kubernetes, Gateway API and Prometheus Operator schemas', async (t) => {
  for (const file of files.filter((name) => name !== KUSTOMIZATION)) {
    t.doesNotThrow(() => { validate(documents.get(file)) }, file)
  }
  t.doesNotThrow(() => { validate(generatedConfigMap) }, 'the ConfigMap generated from config.env')
  for (const file of monitoringFiles.filter((name) => name !== KUSTOMIZATION)) {
    t.doesNotThrow(() => { validate(monitoringDocuments.get(file)) }, `monitoring/${file}`)
  }
})

t.test('the schema check bites: a broken Deployment or HTTPRoute fails it', async (t) => {
  const broken = structuredClone(documents.get('deployment.yaml')) as { spec: { template: { spec: { containers: Array<{ readinessProbe: { httpGet: { port: unknown } } }> } } } }
  const probe = broken.spec.template.spec.containers[0]?.readinessProbe as { httpGet: { port: unknown } }
  probe.httpGet.port = { number: 3000 }
  t.throws(() => { validate(broken) }, /readinessProbe\/httpGet\/port/)

  // Ingress's `Prefix`, not the Gateway API's `PathPrefix`.
  const wrongMatch = structuredClone(documents.get('httproute.yaml')) as { spec: { rules: Array<{ matches: Array<{ path: { type: string } }> }> } }
  const match = wrongMatch.spec.rules[0]?.matches[0] as { path: { type: string } }
  match.path.type = 'Prefix'
  t.throws(() => { validate(wrongMatch) }, /path\/type/)

  t.throws(() => { validate({ apiVersion: 'extensions/v1beta1', kind: 'Ingress' }) }, /no schema/, 'an unexpected kind is not waved through')

  // Prometheus's duration syntax, not Go's.
  const badFor = structuredClone(monitoringDocuments.get('prometheusrule.yaml')) as { spec: { groups: Array<{ rules: Array<{ for?: string }> }> } }
  const alert = badFor.spec.groups.flatMap((group) => group.rules).find((rule) => rule.for !== undefined) as { for: string }
  alert.for = '1m30s0ms0'
  t.throws(() => { validate(badFor) }, /for/)
  const numberedPort = structuredClone(monitoringDocuments.get('podmonitor.yaml')) as { spec: { podMetricsEndpoints: Array<{ port: unknown }> } }
  ;(numberedPort.spec.podMetricsEndpoints[0] as { port: unknown }).port = 3000
  t.throws(() => { validate(numberedPort) }, /port/)
})

t.test('the kustomization applies exactly the manifests present, and not the example Secret', async (t) => {
  t.same([...kustomization.resources].sort(), manifestFiles)
  t.same([...monitoringKustomization.resources].sort(), monitoringFiles.filter((file) => file !== KUSTOMIZATION))
  t.equal(monitoringKustomization.namespace, kustomization.namespace)
  t.notOk(kustomization.resources.includes(SECRET_EXAMPLE), 'the Secret is created by the operator')
  t.equal(secret.metadata?.namespace, kustomization.namespace, 'the example Secret lives where the kustomization applies')
  t.same(kustomization.images?.map((image) => image.name), [container.image], 'the image is set in one place')
})

t.test('the configuration is a generated ConfigMap with a hash suffix, so changing it rolls the pods out', async (t) => {
  t.equal(kustomization.configMapGenerator?.length, 1)
  t.same(configGenerator.envs, ['config.env'])
  t.notOk(configGenerator.options?.disableNameSuffixHash, 'the generator keeps its hash suffix')
  t.notOk(kustomization.generatorOptions?.disableNameSuffixHash, 'and so do the kustomization\'s generator options')
  // kustomize rewrites this reference to the suffixed name; a name it does not generate would stay as it is.
  t.same(container.envFrom?.map((source) => source.configMapRef?.name), [configGenerator.name])
  t.notOk(files.some((file) => (documents.get(file) as { kind?: string }).kind === 'ConfigMap'), 'no hand-written ConfigMap beside it')
  t.ok(Object.keys(configMap.data ?? {}).length > 5, 'config.env is read')
})

t.test('the gateway waits longer than the service may take to answer', async (t) => {
  // A request's Gooten work ends at UPSTREAM_TIMEOUT_MS; undici's coarse timer can overrun it by about a second.
  const longestAnswerMs = config.upstream.timeoutMs + 1000
  const seconds = (duration: string | undefined): number => {
    const match = /^(\d+)s$/.exec(duration ?? '')
    if (match === null) throw new Error(`state the timeout in whole seconds, not ${String(duration)}`)
    return Number(match[1])
  }
  for (const rule of route.spec?.rules ?? []) {
    t.ok(seconds(rule.timeouts?.request) * 1000 > longestAnswerMs, `timeouts.request ${String(rule.timeouts?.request)} > ${longestAnswerMs} ms`)
    t.equal(rule.timeouts?.backendRequest, undefined, 'no shorter per-attempt timeout')
  }
  t.throws(() => seconds('1m'), /whole seconds/)
})

t.test('the PodMonitor scrapes every replica\'s /metrics on PORT, as job gooten-order-proxy', async (t) => {
  const podMonitor = new PodMonitor(monitoringDocuments.get('podmonitor.yaml') as never)
  t.ok(selects(podMonitor.spec.selector.matchLabels, podLabels), 'it selects the pods')
  const endpoints = podMonitor.spec.podMetricsEndpoints ?? []
  t.equal(endpoints.length, 1)
  t.equal(containerPort(endpoints[0]?.port), config.port)
  t.equal(endpoints[0]?.path, pod?.metadata?.annotations?.['prometheus.io/path'])
  const jobLabel = podMonitor.spec.jobLabel as string
  t.equal(podLabels[jobLabel], 'gooten-order-proxy', 'the job label the rules and the dashboard select')
  const rules = JSON.stringify(monitoringDocuments.get('prometheusrule.yaml'))
  t.match(rules, /job=\\"gooten-order-proxy\\"/)
  t.notMatch(rules.replaceAll('job=\\"gooten-order-proxy\\"', ''), /job=/, 'no rule selects another job')
  const monitoring = networkPolicy.spec?.ingress?.flatMap((rule) => rule.from ?? []).map((peer) => peer.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'])
  t.ok(monitoring?.includes('monitoring'), 'the NetworkPolicy lets Prometheus\'s namespace in')

  const dashboard = monitoringKustomization.configMapGenerator?.[0] as Generator
  t.same(dashboard.files, ['dashboard.json'])
  t.equal(dashboard.options?.labels?.grafana_dashboard, '1')
  t.equal((JSON.parse(await readFile(new URL('dashboard.json', monitoringDir), 'utf8')) as { uid: string }).uid, 'gooten-order-proxy')
})

t.test('the container\'s environment is a configuration the service accepts', async (t) => {
  const known = new Set(ENVIRONMENT_VARIABLES)
  // The OpenTelemetry SDK reads the standard OTEL_* variables itself (docs/operations.md, Tracing).
  for (const name of Object.keys(environment)) t.ok(known.has(name) || name.startsWith('OTEL_'), `${name} is a variable the service reads`)

  const credentials = ['GOOTEN_RECIPE_ID', 'GOOTEN_PARTNER_BILLING_KEY', 'API_KEYS']
  for (const name of credentials) {
    t.notOk(name in (configMap.data ?? {}), `${name} is not in the ConfigMap`)
    t.ok(container.env?.some((variable) => variable.name === name && variable.valueFrom?.secretKeyRef !== undefined), `${name} comes from the Secret`)
  }
  for (const [key, value] of Object.entries(secret.stringData ?? {})) t.match(value, /REPLACE-WITH-/, `${key} in the example is a placeholder`)

  t.ok(config.callerKeys !== undefined && config.callerKeys.length > 0, 'caller keys are required')
  t.match(config.gooten.baseUrl, /^https:\/\//)
  t.equal(config.gooten.plainHttp, false, 'no plain-http opt-in')
  t.equal(config.tracing, undefined, 'traces off until a collector is named')
  t.match(config.redisUrl, /^rediss?:\/\//, 'replicas share a Redis')
  t.type(config.trustProxy, Array, 'TRUST_PROXY names addresses, not `true`')
})

t.test('with the ConfigMap\'s TRUST_PROXY, addresses a client writes itself do not dodge the per-address limit', async (t) => {
  const trusted = configMap.data?.TRUST_PROXY?.split(',')[0]?.trim() ?? ''
  const [network = '', prefix = ''] = trusted.split('/')
  const gatewayProxy = network.replace(/\.0$/, '.7')
  const list = new BlockList()
  list.addSubnet(network, Number(prefix))
  t.ok(list.check(gatewayProxy), `${gatewayProxy} is inside ${trusted}`)

  // Both requests come from one client (203.0.113.7, as the gateway appended it); each forges a different address before it.
  const fromOneClient = async (trustProxy: string): Promise<number[]> => {
    const { app } = await startStack(t, { env: { TRUST_PROXY: trustProxy, RATE_LIMIT_PER_MINUTE: '1' } })
    const statuses: number[] = []
    for (const forged of ['198.51.100.1', '198.51.100.2']) {
      const answer = await app.inject({ url: `/orders/${SEED.demo.safeId}/items`, remoteAddress: gatewayProxy, headers: { 'x-forwarded-for': `${forged}, 203.0.113.7` } })
      statuses.push(answer.statusCode)
    }
    return statuses
  }
  t.same(await fromOneClient(configMap.data?.TRUST_PROXY ?? ''), [200, 429], 'the manifest\'s value limits the client the gateway saw')
  t.same(await fromOneClient('true'), [200, 200], '`true` would believe the forged leftmost entry')
})

t.test('the probes ask for routes that answer 200, on the port the service listens on', async (t) => {
  const probes = { startup: container.startupProbe, readiness: container.readinessProbe, liveness: container.livenessProbe }
  t.same(Object.fromEntries(Object.entries(probes).map(([name, probe]) => [name, probe?.httpGet?.path])),
    { startup: '/health/live', readiness: '/health/ready', liveness: '/health/live' })

  const app = await buildApp({ config: testConfig(), logStream: new Writable({ write: (_chunk, _encoding, done) => { done() } }) })
  t.teardown(async () => { await app.close() })
  for (const [name, probe] of Object.entries(probes)) {
    t.equal((await app.inject({ method: 'GET', url: probe?.httpGet?.path as string })).statusCode, 200, `${name} probe`)
    t.equal(containerPort(probe?.httpGet?.port), config.port, `${name} probe port is PORT`)
  }
  t.same(containerPorts.map((port) => port.containerPort), [config.port], 'the container exposes PORT')
  t.equal(containerPort(service.spec?.ports?.[0]?.targetPort), config.port, 'the Service forwards to PORT')
  t.equal(Number(pod?.metadata?.annotations?.['prometheus.io/port']), config.port, 'Prometheus scrapes PORT')
  t.equal(pod?.metadata?.annotations?.['prometheus.io/path'], '/metrics')
})

t.test('the grace period covers the preStop sleep and the drain', async (t) => {
  const command = container.lifecycle?.preStop?.exec?.command ?? []
  t.equal(command[0], 'sleep', 'preStop sleeps (the image has /bin/sleep)')
  const preStopSeconds = Number(command[1])
  t.ok(preStopSeconds >= 3, 'the gateway gets a few seconds to stop routing new requests')
  const graceSeconds = pod?.spec?.terminationGracePeriodSeconds ?? 30
  t.ok(graceSeconds * 1000 > preStopSeconds * 1000 + config.shutdownTimeoutMs,
    `${graceSeconds} s > ${preStopSeconds} s + SHUTDOWN_TIMEOUT_MS ${config.shutdownTimeoutMs} ms`)
  t.ok(config.shutdownTimeoutMs > config.upstream.timeoutMs, 'a request in flight at SIGTERM can use its whole deadline')
})

t.test('the route reaches the Service, and Service, PDB, HPA and NetworkPolicy target the Deployment\'s pods', async (t) => {
  t.ok(selects(deployment.spec?.selector.matchLabels, podLabels), 'the Deployment selects its own pods')
  t.ok((deployment.spec?.replicas ?? 1) >= 2, 'at least two replicas')
  t.ok(selects(service.spec?.selector, podLabels), 'the Service selects the pods')
  t.equal(service.spec?.type, 'ClusterIP')

  const parents = route.spec?.parentRefs ?? []
  t.same(parents.map((parent) => [parent.group, parent.kind]), [['gateway.networking.k8s.io', 'Gateway']])
  const backends = route.spec?.rules?.flatMap((rule) => rule.backendRefs ?? []) ?? []
  t.ok(backends.length > 0)
  for (const backend of backends) {
    t.equal(backend.name, service.metadata?.name)
    t.equal(backend.port, service.spec?.ports?.[0]?.port)
  }

  t.ok(selects(pdb.spec?.selector?.matchLabels, podLabels), 'the PDB covers the pods')
  t.ok(pdb.spec?.maxUnavailable === 1 || pdb.spec?.minAvailable === 1)
  t.same(hpa.spec?.scaleTargetRef, { apiVersion: 'apps/v1', kind: 'Deployment', name: deployment.metadata?.name })
  t.ok((hpa.spec?.minReplicas ?? 1) >= 2, 'the autoscaler keeps two replicas at least')
  t.same(hpa.spec?.metrics?.map((metric) => [metric.type, metric.resource?.name, metric.resource?.target.type]), [['Resource', 'cpu', 'Utilization']])

  t.ok(selects(networkPolicy.spec?.podSelector.matchLabels, podLabels), 'the NetworkPolicy covers the pods')
  t.same(networkPolicy.spec?.policyTypes, ['Ingress'])
  for (const rule of networkPolicy.spec?.ingress ?? []) {
    for (const port of rule.ports ?? []) t.equal(containerPort(port.port), config.port, 'it opens PORT only')
  }
})

t.test('the gateway routes the API, its docs and the health checks, and not /metrics', async (t) => {
  const matches = route.spec?.rules?.flatMap((rule) => rule.matches ?? []) ?? []
  // The Gateway API's rules: Exact is the whole path; PathPrefix matches whole path segments.
  const routed = (path: string): boolean => matches.some((match) => {
    const value = match.path?.value ?? '/'
    if (match.path?.type === 'Exact') return path === value
    if (match.path?.type !== 'PathPrefix' || match.headers !== undefined || match.queryParams !== undefined) throw new Error('a match this test does not model')
    const prefix = value.replace(/\/$/, '')
    return path === value || path.startsWith(`${prefix}/`)
  })
  const documented = Object.keys((JSON.parse(await readFile(new URL('openapi/openapi.json', root), 'utf8')) as { paths: object }).paths)
  t.ok(documented.includes('/metrics'))
  for (const path of documented) {
    const concrete = path.replace('{orderId}', SEED.demo.safeId)
    t.equal(routed(concrete), path !== '/metrics', path)
  }
  for (const path of ['/docs', '/docs/json', '/docs/static/index.html']) t.ok(routed(path), path)
  for (const path of ['/', '/metrics/', '/ordersx', '/docsx']) t.notOk(routed(path), path)
})

t.test('the pod runs as the image\'s node user, read-only, without privileges or an API token', async (t) => {
  const podSecurity = pod?.spec?.securityContext
  t.equal(pod?.spec?.automountServiceAccountToken, false)
  t.equal(podSecurity?.seccompProfile?.type, 'RuntimeDefault')
  for (const each of [...(pod?.spec?.initContainers ?? []), ...(pod?.spec?.containers ?? [])]) {
    // A container's own securityContext wins over the pod's.
    const effective = { ...podSecurity, ...each.securityContext }
    t.equal(effective.runAsNonRoot, true, `${each.name}: runAsNonRoot`)
    t.equal(effective.runAsUser, 1000, `${each.name}: the image's node user`)
    t.equal(effective.readOnlyRootFilesystem, true, `${each.name}: read-only root filesystem`)
    t.equal(effective.allowPrivilegeEscalation, false, `${each.name}: no privilege escalation`)
    t.same(effective.capabilities?.drop, ['ALL'], `${each.name}: no capabilities`)
    t.same(effective.capabilities?.add ?? [], [])
    t.notOk(effective.privileged, `${each.name}: not privileged`)
  }
  const dockerfile = await readFile(new URL('Dockerfile', root), 'utf8')
  // The official node images create their node user as uid 1000.
  t.match(dockerfile, /^FROM node:\d+-bookworm-slim(@sha256:[0-9a-f]{64})? AS runtime$/m)
  t.match(dockerfile.slice(dockerfile.indexOf('AS runtime')), /^USER node$/m)

  const { requests, limits } = container.resources ?? {}
  t.ok(requests?.cpu !== undefined && requests.memory !== undefined, 'CPU and memory requests')
  t.ok(limits?.memory !== undefined && mebibytes(limits.memory) > mebibytes(requests?.memory), 'a memory limit above the request')
  t.notOk(limits?.cpu, 'no CPU limit (no CFS throttling)')
})
