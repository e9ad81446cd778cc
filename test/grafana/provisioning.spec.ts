/**
 * Grafana provisioning, read as Grafana and docker compose read it: the YAML and the dashboard
 * JSON parse, every panel and query names the one provisioned InfluxDB data source, every
 * query is raw InfluxQL over measurements of the projection's schema, every template variable
 * a query uses is defined, and the paths and host names agree with deploy/compose.yaml.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { DEFAULT_DATABASE, MEASUREMENTS, studyPoints } from '@metatwin/projection';
import type { StudyRow } from '@metatwin/studies';
import {
  COMPOSE_FILE,
  DASHBOARD_DIR,
  PANEL_TYPES,
  PROVISIONING_DIR,
  QUERYLESS_PANEL_TYPES,
  allPanels,
  loadDashboards,
  measurementsOf,
  panelTargets,
  provisioningFiles,
  readYaml,
  referencedVariables,
  rel,
  variableQuery,
  variables,
  type DashboardFile,
  type DatasourceRef,
} from './dashboards';

interface ComposeService {
  image?: string;
  ports?: Array<string | { target?: number }>;
  volumes?: Array<string | { type?: string; source?: string; target?: string }>;
  environment?: Record<string, string> | string[];
}
interface Compose {
  services: Record<string, ComposeService>;
}
interface DatasourceDef {
  name?: string;
  uid?: string;
  type?: string;
  url?: string;
  access?: string;
  database?: string;
  jsonData?: { dbName?: string; version?: string };
}
interface ProviderDef {
  name?: string;
  type?: string;
  options?: { path?: string };
}

const compose = readYaml<Compose>(COMPOSE_FILE);
const composeDir = dirname(COMPOSE_FILE);
const yamlFiles = provisioningFiles();
const datasourceFiles = yamlFiles.filter((f) => f.startsWith(join(PROVISIONING_DIR, 'datasources') + '/'));
const dashboardProviderFiles = yamlFiles.filter((f) => f.startsWith(join(PROVISIONING_DIR, 'dashboards') + '/'));
const datasources: DatasourceDef[] = datasourceFiles.flatMap((f) => readYaml<{ datasources?: DatasourceDef[] }>(f).datasources ?? []);
const providers: ProviderDef[] = dashboardProviderFiles.flatMap((f) => readYaml<{ providers?: ProviderDef[] }>(f).providers ?? []);
const dashboards: DashboardFile[] = loadDashboards();
/** Measurements about the processes, stamped with wall-clock time: not a run's. */
const WALL_CLOCK: readonly string[] = [MEASUREMENTS.service, MEASUREMENTS.projector, MEASUREMENTS.controllerLink];
/** A scaling study's rows, one per finished job, stamped with its finish time: not a run's either. */
const STUDY_LEVEL: readonly string[] = [MEASUREMENTS.study];
const RUN_LEVEL = Object.values(MEASUREMENTS).filter((m) => !WALL_CLOCK.includes(m) && !STUDY_LEVEL.includes(m)) as string[];
/** Written after a run by `metatwin compare --influx`: per run, shown on the Hardware link dashboard. */
const COMPARISON: readonly string[] = [MEASUREMENTS.twinResidual];

/** The grafana service's bind mounts as [host path (absolute), container path]. */
function grafanaMounts(): Array<[string, string]> {
  const grafana = compose.services.grafana;
  if (!grafana) throw new Error(`${rel(COMPOSE_FILE)} has no grafana service`);
  return (grafana.volumes ?? []).flatMap((v): Array<[string, string]> => {
    if (typeof v === 'string') {
      const [source, target] = v.split(':');
      return source.startsWith('.') || source.startsWith('/') ? [[resolve(composeDir, source), target]] : [];
    }
    return v.type === 'bind' && v.source && v.target ? [[resolve(composeDir, v.source), v.target]] : [];
  });
}

function containerPort(port: string | { target?: number }): number {
  return typeof port === 'string' ? Number(port.split(':').pop()?.split('/')[0]) : (port.target ?? NaN);
}

function datasource(): DatasourceDef {
  expect(datasources).toHaveLength(1);
  return datasources[0];
}

function sameDatasource(where: string, ref: DatasourceRef | undefined): void {
  const ds = datasource();
  if (ref?.uid !== ds.uid || ref?.type !== ds.type) {
    throw new Error(`${where}: datasource ${JSON.stringify(ref)} is not the provisioned ${JSON.stringify({ type: ds.type, uid: ds.uid })}`);
  }
}

describe('provisioning YAML', () => {
  it('parses, with one datasources file and one dashboards provider file', () => {
    expect(yamlFiles.length).toBeGreaterThanOrEqual(2);
    for (const file of yamlFiles) expect(() => readYaml(file)).not.toThrow();
    expect(datasourceFiles.length).toBeGreaterThanOrEqual(1);
    expect(dashboardProviderFiles.length).toBeGreaterThanOrEqual(1);
  });

  it('provisions one InfluxQL data source with a fixed uid on the compose influxdb service, database = the schema default', () => {
    const ds = datasource();
    expect(ds).toMatchObject({ uid: 'metatwin-influx', type: 'influxdb', access: 'proxy' });
    expect(ds.jsonData?.version ?? 'InfluxQL').toBe('InfluxQL');
    const url = new URL(ds.url ?? '');
    const influx = compose.services[url.hostname];
    if (!influx) throw new Error(`datasource url ${ds.url}: no compose service named ${url.hostname} (services: ${Object.keys(compose.services).join(', ')})`);
    expect(influx.image).toMatch(/^influxdb:1\./);
    expect((influx.ports ?? []).map(containerPort)).toContain(Number(url.port || 80));
    const names = [ds.database, ds.jsonData?.dbName].filter((n) => n !== undefined);
    expect(names.length).toBeGreaterThan(0);
    for (const name of names) expect(name).toBe(DEFAULT_DATABASE);
    // The container creates that database on first start.
    const env = influx.environment;
    const db = Array.isArray(env) ? env.find((e) => e.startsWith('INFLUXDB_DB='))?.slice('INFLUXDB_DB='.length) : env?.INFLUXDB_DB;
    expect(db).toBe(DEFAULT_DATABASE);
  });

  it('mounts deploy/grafana/provisioning at /etc/grafana/provisioning', () => {
    const mount = grafanaMounts().find(([host]) => host === PROVISIONING_DIR);
    if (!mount) throw new Error(`compose grafana service does not mount ${rel(PROVISIONING_DIR)}`);
    expect(mount[1]).toBe('/etc/grafana/provisioning');
  });

  it('points the file dashboards provider at the path compose mounts deploy/grafana/dashboards on', () => {
    const mount = grafanaMounts().find(([host]) => host === DASHBOARD_DIR);
    if (!mount) throw new Error(`compose grafana service does not mount ${rel(DASHBOARD_DIR)}`);
    expect(providers).toHaveLength(1);
    expect(providers[0].type).toBe('file');
    expect(providers[0].options?.path).toBe(mount[1]);
  });
});

describe('dashboards', () => {
  it('are the six dashboards, each with a unique uid and title', () => {
    expect(existsSync(DASHBOARD_DIR)).toBe(true);
    expect(dashboards.map((d) => d.json.title).sort()).toEqual(['Hardware link', 'Hardware signals', 'Network', 'Services', 'Studies', 'Training']);
    const uids = dashboards.map((d) => d.json.uid);
    const titles = dashboards.map((d) => d.json.title);
    for (const { file, json } of dashboards) {
      expect(typeof json.uid).toBe('string');
      expect(json.uid?.length ?? 0).toBeGreaterThan(0);
      expect(json.uid?.length ?? 0).toBeLessThanOrEqual(40); // Grafana's limit
      expect(json.title?.length ?? 0).toBeGreaterThan(0);
      expect(json.schemaVersion ?? 0).toBeGreaterThanOrEqual(36);
      expect([file, uids.filter((u) => u === json.uid).length, titles.filter((t) => t === json.title).length]).toEqual([file, 1, 1]);
    }
  });

  it.each(dashboards.map((d) => [d.file, d] as const))('%s: panels have known types, unique ids and titles, and the provisioned data source', (file, { json }) => {
    const panels = allPanels(json);
    expect(panels.length).toBeGreaterThan(0);
    const ids = panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    const titles = panels.filter((p) => p.type !== 'row').map((p) => p.title);
    expect(new Set(titles).size).toBe(titles.length);
    for (const panel of panels) {
      const where = `${file} panel ${JSON.stringify(panel.title)}`;
      if (!(PANEL_TYPES as readonly string[]).includes(panel.type)) throw new Error(`${where}: panel type ${panel.type} is not one of ${PANEL_TYPES.join(', ')}`);
      if (QUERYLESS_PANEL_TYPES.includes(panel.type)) continue;
      sameDatasource(where, panel.datasource);
      expect([where, (panel.targets ?? []).length > 0]).toEqual([where, true]);
      const refIds = (panel.targets ?? []).map((t) => t.refId);
      expect([where, new Set(refIds).size]).toEqual([where, refIds.length]);
      for (const target of panel.targets ?? []) {
        const at = `${where} target ${target.refId}`;
        sameDatasource(at, target.datasource);
        expect([at, target.rawQuery]).toEqual([at, true]);
        expect([at, typeof target.query === 'string' && target.query.trim().length > 0]).toEqual([at, true]);
      }
    }
  });

  it.each(dashboards.map((d) => [d.file, d] as const))('%s: template variables are InfluxDB queries on the provisioned data source', (file, { json }) => {
    const names = variables(json).map((v) => v.name);
    expect(new Set(names).size).toBe(names.length);
    for (const variable of variables(json)) {
      const where = `${file} variable $${variable.name}`;
      expect([where, variable.type]).toEqual([where, 'query']);
      sameDatasource(where, variable.datasource);
      expect([where, /^SHOW TAG VALUES /.test(variableQuery(variable))]).toEqual([where, true]);
      // A variable used in another's query must come before it.
      for (const used of referencedVariables(variableQuery(variable))) {
        expect([where, used, names.indexOf(used) >= 0 && names.indexOf(used) < names.indexOf(variable.name)]).toEqual([where, used, true]);
      }
    }
  });

  it('run-level dashboards offer experiment → run → datapoint', () => {
    const runLevel = dashboards.filter(({ json }) =>
      panelTargets(json).some(({ target }) => measurementsOf(target.query ?? '').some((m) => RUN_LEVEL.includes(m) && !COMPARISON.includes(m))),
    );
    expect(runLevel.map((d) => d.json.title).sort()).toEqual(['Hardware signals', 'Network', 'Training']);
    for (const { file, json } of runLevel) {
      const byName = new Map(variables(json).map((v) => [v.name, variableQuery(v)]));
      expect([file, byName.get('experiment')]).toEqual([file, 'SHOW TAG VALUES FROM "run" WITH KEY = "experiment"']);
      expect([file, byName.get('run')]).toEqual([file, 'SHOW TAG VALUES FROM "run" WITH KEY = "run" WHERE "experiment" =~ /^$experiment$/']);
      expect([file, byName.get('datapoint')]).toEqual([file, 'SHOW TAG VALUES FROM "output" WITH KEY = "datapoint" WHERE "run" =~ /^$run$/']);
    }
  });

  it('Hardware link reads controller links per service and controller, its counters as per-second rates', () => {
    const file = dashboards.find((d) => d.json.title === 'Hardware link');
    if (!file) throw new Error('no Hardware link dashboard');
    expect(variables(file.json).map((v) => [v.name, variableQuery(v)])).toEqual([
      ['service', 'SHOW TAG VALUES FROM "controller_link" WITH KEY = "service"'],
      ['controller', 'SHOW TAG VALUES FROM "controller_link" WITH KEY = "controller" WHERE "service" =~ /^$service$/'],
      ['compared_run', 'SHOW TAG VALUES FROM "twin_residual" WITH KEY = "run"'],
    ]);
    const all = panelTargets(file.json);
    // The twin residuals: per run, one series per measured signal (and twin), beside the noise floor.
    const residuals = all.filter(({ target }) => measurementsOf(target.query ?? '').includes(MEASUREMENTS.twinResidual));
    expect(residuals.map(({ target }) => /"run" =~ \/\^\$compared_run\$\/.*GROUP BY time\(\$__interval\), "signal"/.test(target.query ?? ''))).toEqual([true, true]);
    for (const field of ['rms_codes', 'noise_floor_codes']) expect([field, residuals.some(({ target }) => (target.query ?? '').includes(`("${field}")`))]).toEqual([field, true]);
    const targets = all.filter((t) => !residuals.includes(t));
    const rates = targets.filter(({ target }) => /derivative\(/.test(target.query ?? ''));
    expect(rates.length).toBeGreaterThan(0);
    for (const { panel, target } of targets) {
      const where = `${file.file} panel ${JSON.stringify(panel.title)} target ${target.refId}`;
      const query = target.query ?? '';
      expect([where, measurementsOf(query)]).toEqual([where, [MEASUREMENTS.controllerLink]]);
      // One series per link: a process's cumulative counters are never summed with another's.
      expect([where, /GROUP BY (time\(\$__interval\), )?"service", "controller"/.test(query)]).toEqual([where, true]);
      // Counters start again at 0 when a service restarts: only non-negative per-second rates.
      for (const m of query.matchAll(/(\w*)derivative\(([^)]*\))[^)]*\)/g)) expect([where, m[1], m[0].endsWith(', 1s)')]).toEqual([where, 'non_negative_', true]);
    }
    for (const field of ['framesSent', 'framesReceived', 'badFrames', 'retries'])
      expect([field, rates.some(({ target }) => (target.query ?? '').includes(`non_negative_derivative(last("${field}"), 1s)`))]).toEqual([field, true]);
    for (const field of ['badFrames', 'retries', 'reconnects', 'rtt_ms', 'rttMean_ms', 'rttMax_ms', 'state', 'state_name'])
      expect([field, targets.some(({ target }) => (target.query ?? '').includes(`("${field}")`))]).toEqual([field, true]);
  });

  it('Studies reads only what studyPoints writes, per $study, and plots metrics against edges per topology', () => {
    const file = dashboards.find((d) => d.json.title === 'Studies');
    if (!file) throw new Error('no Studies dashboard');
    expect(variables(file.json).map((v) => [v.name, variableQuery(v)])).toEqual([['study', 'SHOW TAG VALUES FROM "study" WITH KEY = "study"']]);
    // Every tag and field a row can carry: a done row with every metric and a failed row with its reason.
    const row: StudyRow = {
      study: 's',
      job: 'j',
      params: { size: 4 },
      topology: 'lattice',
      task: 'xor',
      seed: 1,
      nodes: 16,
      edges: 24,
      status: 'done',
      metrics: {
        steps: 1,
        learning_s: 1,
        targetMse_V2: 1,
        stepsToTarget: 1,
        timeToTarget_s: 1,
        mseStart_V2: 1,
        mseEnd_V2: 1,
        modeHalfTimes_s: { E0: 1 },
        learningEnergy_J: 1,
        opAmpEnergy_J: 1,
        inferencePowerPerEdge_W: 1,
        inferenceEnergyPerEdge_J: 1,
        accuracyEnd: 1,
      },
      worker: 'w',
      wall_s: 1,
      version: '0',
      commit: 'unknown',
      finishedAt: '2026-01-01T00:00:00Z',
    };
    const points = [...studyPoints(row), ...studyPoints({ ...row, status: 'failed', metrics: null, error: 'why' })];
    const written = new Set(points.flatMap((p) => [...Object.keys(p.tags), ...Object.keys(p.fields)]));
    const all = panelTargets(file.json);
    expect(all.length).toBeGreaterThan(0);
    for (const { panel, target } of all) {
      const where = `${file.file} panel ${JSON.stringify(panel.title)} target ${target.refId}`;
      const query = target.query ?? '';
      expect([where, measurementsOf(query)]).toEqual([where, [MEASUREMENTS.study]]);
      expect([where, query.includes('"study" =~ /^$study$/')]).toEqual([where, true]);
      const names = query
        .replace(/\bAS\s+"[^"]+"/g, '')
        .replace(/\bFROM\s+"[^"]+"/g, '')
        .match(/"[^"]+"/g)
        ?.map((n) => n.slice(1, -1));
      for (const name of names ?? []) if (!written.has(name)) throw new Error(`${where}: "${name}" is neither a tag nor a field of the study points\n${query}`);
    }
    expect(
      allPanels(file.json)
        .filter((p) => p.type === 'stat')
        .map((p) => p.title),
    ).toEqual(expect.arrayContaining(['Jobs done', 'Jobs failed']));
    expect(allPanels(file.json).some((p) => p.type === 'table')).toBe(true);
    // XY panels: edges on x, one series per topology (a table-format query grouped by topology, partitioned into one frame each).
    type XyPanel = {
      title?: string;
      options?: { seriesMapping?: string; series?: Array<{ x?: string; y?: string; frame?: number }> };
      transformations?: Array<{ id: string; options?: { fields?: string[] } }>;
    };
    const xy = allPanels(file.json).filter((p) => p.type === 'xychart') as unknown as XyPanel[];
    expect(xy.map((p) => p.options?.series?.[0]?.y).sort()).toEqual(['learningEnergy_J', 'timeToTarget_s', 'wall_s']);
    for (const p of xy) {
      expect([p.title, p.options?.seriesMapping, p.options?.series?.length, p.options?.series?.[0]?.x, p.options?.series?.[0]?.frame]).toEqual([
        p.title,
        'manual',
        1,
        'edges',
        undefined,
      ]);
      expect([p.title, p.transformations?.map((t) => [t.id, t.options?.fields])]).toEqual([p.title, [['partitionByValues', ['topology']]]]);
    }
    for (const { panel, target } of all.filter(({ panel }) => panel.type === 'xychart')) {
      expect([panel.title, target.resultFormat, /GROUP BY "topology"$/.test(target.query ?? '')]).toEqual([panel.title, 'table', true]);
    }
  });

  it.each(dashboards.map((d) => [d.file, d] as const))('%s: every query uses defined variables only, as regex matches, over schema measurements', (file, { json }) => {
    const defined = variables(json).map((v) => v.name);
    const queries = [
      ...panelTargets(json).map(({ panel, target }) => ({ where: `${file} panel ${JSON.stringify(panel.title)} target ${target.refId}`, query: target.query ?? '', panel: true })),
      ...variables(json).map((v) => ({ where: `${file} variable $${v.name}`, query: variableQuery(v), panel: false })),
    ];
    const schema = Object.values(MEASUREMENTS) as string[];
    for (const { where, query, panel } of queries) {
      for (const name of referencedVariables(query)) {
        if (!defined.includes(name)) throw new Error(`${where}: $${name} is not defined in the dashboard's templating (defined: ${defined.join(', ') || 'none'})\n${query}`);
        // Multi-value and "All" selections interpolate as a regex alternation: only =~ /^$name$/ is safe.
        const uses = query.match(new RegExp(`\\$\\{?${name}\\b`, 'g'))?.length ?? 0;
        const regexUses = query.match(new RegExp(`=~ /\\^\\$${name}\\$/`, 'g'))?.length ?? 0;
        if (uses !== regexUses) throw new Error(`${where}: use $${name} only as "tag" =~ /^$${name}$/\n${query}`);
      }
      const froms = measurementsOf(query);
      expect([where, froms.length]).toEqual([where, 1]);
      for (const m of froms) if (!schema.includes(m)) throw new Error(`${where}: measurement ${m} is not in libs/projection/src/schema.ts`);
      if (!panel) continue;
      expect([where, query.startsWith('SELECT ')]).toEqual([where, true]);
      expect([where, query.includes('$timeFilter')]).toEqual([where, true]);
      if (RUN_LEVEL.includes(froms[0]) && !COMPARISON.includes(froms[0])) expect([where, query.includes('"run" =~ /^$run$/')]).toEqual([where, true]);
      if (/GROUP BY time\(/.test(query)) {
        expect([where, query.includes('GROUP BY time($__interval)')]).toEqual([where, true]);
        expect([where, /fill\(none\)\s*$/.test(query)]).toEqual([where, true]);
      }
    }
  });
});
