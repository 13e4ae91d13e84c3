import { readFile } from 'node:fs/promises'
import { parse } from 'yaml'

const monitoringDir = new URL('../../deploy/kubernetes/monitoring/', import.meta.url)

export interface Rule { record?: string, alert?: string, expr: string, for?: string, labels?: Record<string, string>, annotations?: Record<string, string> }
export interface RuleGroup { name: string, rules: Rule[] }

/** The PrometheusRule's spec: a plain Prometheus rule file. */
export async function ruleGroups (): Promise<RuleGroup[]> {
  const manifest = parse(await readFile(new URL('prometheusrule.yaml', monitoringDir), 'utf8')) as { spec: { groups: RuleGroup[] } }
  return manifest.spec.groups
}

/** Every PromQL expression of the Grafana dashboard's panels, with the panel's title. */
export async function dashboardQueries (): Promise<Array<{ panel: string, expr: string }>> {
  const dashboard = JSON.parse(await readFile(new URL('dashboard.json', monitoringDir), 'utf8')) as { panels: Array<{ title: string, targets?: Array<{ expr: string }> }> }
  return dashboard.panels.flatMap((panel) => (panel.targets ?? []).map((target) => ({ panel: panel.title, expr: target.expr })))
}

const NOT_NAMES = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'and', 'or', 'unless', 'offset', 'inf', 'nan'])

/**
 * The metric names a PromQL expression selects. Enough of PromQL for our rules and panels: strings,
 * label matchers, range and subquery brackets and grouping label lists are dropped; what is left
 * that looks like a name, is not a keyword and is not called like a function is a metric name.
 */
export function metricNames (expr: string): Set<string> {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
  const names = new Set<string>()
  for (const match of bare.matchAll(/(?<![\w:.$])[A-Za-z_:][\w:]*/g)) {
    const rest = bare.slice((match.index) + match[0].length)
    if (NOT_NAMES.has(match[0]) || /^\s*\(/.test(rest)) continue
    names.add(match[0])
  }
  return names
}
