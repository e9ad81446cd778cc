/**
 * The Grafana provisioning in deploy/grafana as data: the provisioning YAML, the dashboard
 * JSON models, their panels, targets and template variables, and the interpolation Grafana's
 * InfluxDB data source applies to a raw InfluxQL query before sending it (template variables,
 * $timeFilter, $__interval), so a test can run each query against a real influxd.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parse } from 'yaml';

export const ROOT = join(__dirname, '..', '..');
export const GRAFANA_DIR = join(ROOT, 'deploy', 'grafana');
export const DASHBOARD_DIR = join(GRAFANA_DIR, 'dashboards');
export const PROVISIONING_DIR = join(GRAFANA_DIR, 'provisioning');
export const COMPOSE_FILE = join(ROOT, 'deploy', 'compose.yaml');

export interface DatasourceRef {
  readonly type?: string;
  readonly uid?: string;
}

export interface Target {
  readonly refId?: string;
  readonly datasource?: DatasourceRef;
  readonly rawQuery?: boolean;
  readonly query?: string;
  readonly resultFormat?: string;
  readonly alias?: string;
}

export interface Panel {
  readonly id?: number;
  readonly type: string;
  readonly title?: string;
  readonly datasource?: DatasourceRef;
  readonly targets?: readonly Target[];
  /** A row's panels (collapsed rows keep theirs here). */
  readonly panels?: readonly Panel[];
}

export interface Variable {
  readonly name: string;
  readonly type: string;
  readonly query?: string | { readonly query?: string };
  readonly datasource?: DatasourceRef;
  readonly multi?: boolean;
  readonly includeAll?: boolean;
}

export interface Dashboard {
  readonly uid?: string;
  readonly title?: string;
  readonly schemaVersion?: number;
  readonly panels?: readonly Panel[];
  readonly templating?: { readonly list?: readonly Variable[] };
}

export interface DashboardFile {
  /** Path relative to the repository root. */
  readonly file: string;
  readonly json: Dashboard;
}

/** Panel types the dashboards may use. */
export const PANEL_TYPES = ['timeseries', 'state-timeline', 'heatmap', 'table', 'stat', 'gauge', 'bargauge', 'text', 'row', 'xychart'] as const;
/** Panel types that carry no query of their own. */
export const QUERYLESS_PANEL_TYPES = ['text', 'row'];
/** Grafana's built-in InfluxQL macros that the dashboards may use (and interpolate() fills). */
export const MACROS = ['timeFilter', '__interval', '__interval_ms', '__from', '__to'] as const;

function filesUnder(dir: string, extensions: readonly string[]): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir).sort()) {
    const full = join(dir, entry);
    if (statSync(full).isDirectory()) out.push(...filesUnder(full, extensions));
    else if (extensions.some((ext) => entry.endsWith(ext))) out.push(full);
  }
  return out;
}

export const rel = (file: string): string => relative(ROOT, file);

export function readYaml<T = unknown>(file: string): T {
  // compose.yaml uses YAML 1.1 merge keys (<<: *anchor).
  return parse(readFileSync(file, 'utf8'), { merge: true }) as T;
}

/** Every provisioning YAML file (datasources/, dashboards/, …), absolute paths. */
export function provisioningFiles(): string[] {
  return filesUnder(PROVISIONING_DIR, ['.yaml', '.yml']);
}

export function loadDashboards(): DashboardFile[] {
  return filesUnder(DASHBOARD_DIR, ['.json']).map((file) => ({ file: rel(file), json: JSON.parse(readFileSync(file, 'utf8')) as Dashboard }));
}

/** Every panel of a dashboard, the panels inside rows included. */
export function allPanels(dashboard: Dashboard): Panel[] {
  const out: Panel[] = [];
  const visit = (panels: readonly Panel[] | undefined): void => {
    for (const panel of panels ?? []) {
      out.push(panel);
      visit(panel.panels);
    }
  };
  visit(dashboard.panels);
  return out;
}

export function variables(dashboard: Dashboard): readonly Variable[] {
  return dashboard.templating?.list ?? [];
}

export function variableQuery(variable: Variable): string {
  return typeof variable.query === 'string' ? variable.query : (variable.query?.query ?? '');
}

/** Names referenced as $name, ${name}, ${name:format} or [[name]], in order, without duplicates. */
export function referencedNames(query: string): string[] {
  const names: string[] = [];
  for (const m of query.matchAll(/\$\{(\w+)(?::\w+)?\}|\[\[(\w+)\]\]|\$(\w+)/g)) {
    const name = m[1] ?? m[2] ?? m[3];
    if (!names.includes(name)) names.push(name);
  }
  return names;
}

/** Template variables a query refers to (its names that are not Grafana macros). */
export function referencedVariables(query: string): string[] {
  return referencedNames(query).filter((name) => !(MACROS as readonly string[]).includes(name));
}

/** Measurements named after FROM in an InfluxQL query. */
export function measurementsOf(query: string): string[] {
  return [...query.matchAll(/\bFROM\s+"([^"]+)"/gi)].map((m) => m[1]);
}

/** Grafana's regex escaping of variable values for the InfluxDB data source. */
export function regexEscape(value: string): string {
  return value.replace(/[\\^$*+?.()|[\]{}/]/g, '\\$&');
}

/**
 * How Grafana's InfluxDB data source writes a variable's value into a query: a variable that
 * is neither multi-value nor has "All" is inserted as is; otherwise each value is regex-escaped
 * and several values become an alternation (a|b|c), which is what "All" selects.
 */
export function formatVariable(variable: Variable, values: readonly string[]): string {
  if (values.length === 0) throw new Error(`no value for $${variable.name}`);
  if (!variable.multi && !variable.includeAll) return values[0];
  if (values.length === 1) return regexEscape(values[0]);
  return `(${values.map(regexEscape).join('|')})`;
}

/** Grafana's rounding of (to − from) / resolution to a tidy interval, in ms. */
export function roundInterval(ms: number): number {
  const steps: Array<[number, number]> = [
    [10, 1],
    [15, 10],
    [35, 20],
    [75, 50],
    [150, 100],
    [350, 200],
    [750, 500],
    [1_500, 1_000],
    [3_500, 2_000],
    [7_500, 5_000],
    [12_500, 10_000],
    [17_500, 15_000],
    [25_000, 20_000],
    [45_000, 30_000],
    [90_000, 60_000],
    [210_000, 120_000],
    [450_000, 300_000],
    [1_350_000, 600_000],
    [2_250_000, 1_800_000],
    [5_400_000, 3_600_000],
    [9_000_000, 7_200_000],
    [16_200_000, 10_800_000],
    [32_400_000, 21_600_000],
    [86_400_000, 43_200_000],
  ];
  for (const [below, interval] of steps) if (ms < below) return interval;
  return 86_400_000;
}

/** An interval in ms as InfluxQL writes a duration: 1ms, 20ms, 1s, 10s, 1m, 1h. */
export function influxDuration(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1_000 === 0) return `${ms / 1_000}s`;
  return `${ms}ms`;
}

export interface QueryContext {
  /** What $timeFilter becomes, e.g. `time >= 1700000000000ms and time <= 1700000060000ms`. */
  readonly timeFilter: string;
  /** Epoch ms for $__from and $__to. */
  readonly from_ms: number;
  readonly to_ms: number;
  /** $__interval in ms ($__interval_ms as a number, $__interval as a duration). */
  readonly interval_ms: number;
  /** Selected values per template variable name. */
  readonly values: Readonly<Record<string, readonly string[]>>;
}

/** The time range [from, to] as Grafana's InfluxDB data source writes $timeFilter. */
export function timeFilter(from_ms: number, to_ms: number): string {
  return `time >= ${Math.floor(from_ms)}ms and time <= ${Math.ceil(to_ms)}ms`;
}

/** A query as Grafana would send it for the dashboard's variables and the context's time range. */
export function interpolate(query: string, dashboard: Dashboard, ctx: QueryContext): string {
  const vars = new Map(variables(dashboard).map((v) => [v.name, v]));
  return query.replace(/\$\{(\w+)(?::\w+)?\}|\[\[(\w+)\]\]|\$(\w+)/g, (whole, a?: string, b?: string, c?: string) => {
    const name = (a ?? b ?? c) as string;
    switch (name) {
      case 'timeFilter':
        return ctx.timeFilter;
      case '__interval':
        return influxDuration(ctx.interval_ms);
      case '__interval_ms':
        return String(ctx.interval_ms);
      case '__from':
        return String(Math.floor(ctx.from_ms));
      case '__to':
        return String(Math.ceil(ctx.to_ms));
    }
    const variable = vars.get(name);
    if (!variable) throw new Error(`${whole} is neither a Grafana macro nor a variable of dashboard ${dashboard.uid}`);
    const values = ctx.values[name];
    if (!values) throw new Error(`no value given for ${whole} (dashboard ${dashboard.uid})`);
    return formatVariable(variable, values);
  });
}

/** Every target with a query of every panel of a dashboard, with the panel it belongs to. */
export function panelTargets(dashboard: Dashboard): Array<{ panel: Panel; target: Target }> {
  return allPanels(dashboard).flatMap((panel) => (panel.targets ?? []).map((target) => ({ panel, target })));
}
