/**
 * Every dashboard query against a real run: a private nats-server and influxd, the four
 * services as OS processes writing their health to InfluxDB — the supervisor pinned to its
 * hardware bridge, a board emulator on TCP, so its controller link's statistics are there
 * too — and a distributed XOR run from the CLI with --influx projecting into it. Each template variable's query, then each panel
 * target (interpolated as Grafana's InfluxDB data source would) must return rows, once over a
 * wide window and once zoomed to the run as a person looking at it would.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SOURCES } from '@metatwin/contracts';
import { BoardEmulator, EmulatedBoard } from '@metatwin/emulator';
import { planFromInput } from '@metatwin/experiments';
import { MEASUREMENTS } from '@metatwin/projection';
import { runEmbedded } from '@metatwin/services';
import { startInflux, startNats, startServices, stopServices, type InfluxServer, type NatsServer, type ServiceProcess } from '@metatwin/test-support';
import {
  interpolate,
  loadDashboards,
  panelTargets,
  roundInterval,
  timeFilter,
  variableQuery,
  variables,
  type Dashboard,
  type DashboardFile,
  type QueryContext,
} from './dashboards';
import { DATABASE, influxQuery, rowCount, runCli, tagValues, type InfluxSeries, type StackUrls } from './stack';

const STEPS = 2000;
/** How long data may keep arriving after the CLI exits (projector flush, health reports). */
const SETTLE_MS = 60_000;
/** Points per panel Grafana asks for (≈ the panel's width in pixels). */
const RESOLUTION = 1000;

const dashboards: DashboardFile[] = loadDashboards();

interface RunInfo {
  readonly run: string;
  readonly experiment: string;
  readonly edges: number;
  /** Earliest and latest point of the run measurement (epoch ms). */
  readonly first_ms: number;
  readonly last_ms: number;
  /** The small study run beside it (for the Studies dashboard). */
  readonly study: string;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const tail = (text: string, lines = 12): string =>
  text
    .replace(/\x1b\[[0-9;]*m/g, '')
    .trimEnd()
    .split('\n')
    .slice(-lines)
    .join('\n');

/** Runs `query` until it returns rows or the deadline passes; a failing statement throws at once. */
async function rowsEventually(urls: StackUrls, query: string, deadline: number): Promise<InfluxSeries[]> {
  for (;;) {
    const series = await influxQuery(urls, query);
    if (rowCount(series) > 0 || Date.now() > deadline) return series;
    await sleep(500);
  }
}

describe('dashboards on a real distributed run', () => {
  let nats: NatsServer | undefined;
  let influx: InfluxServer | undefined;
  let services: ServiceProcess[] = [];
  /** The supervisor's controller: the board emulator over TCP. */
  let emulator: BoardEmulator | undefined;
  let controller: string;
  /** The run's final gates, and the all-simulated run's. */
  let gates: { distributed: number[]; simulated: number[] };
  let urls: StackUrls;
  let info: RunInfo;
  let t0: number;
  let settleDeadline: number;
  /** Selected values per dashboard uid and variable, filled by the variables test. */
  const selections = new Map<string, Record<string, string[]>>();

  beforeAll(async () => {
    t0 = Date.now();
    nats = await startNats();
    influx = await startInflux();
    // Auth on, as deployed: the services and the CLI write as the writer, every query below runs as Grafana's reader.
    urls = { natsUrl: nats.url, influxUrl: influx.url, influxEnv: influx.env, readerHeaders: influx.headers('reader') };
    const plan = planFromInput({ preset: 'xor' }, { steps: STEPS }, { readText: () => '' });
    if (plan.kind !== 'run') throw new Error('xor is not a run');
    emulator = new BoardEmulator(new EmulatedBoard(plan.experiment));
    controller = `tcp://127.0.0.1:${await emulator.listenTcp()}`;
    const writer = influx.env;
    const extra = Object.fromEntries(SOURCES.map((s) => [s, { ...writer, ...(s === 'supervisor' ? { METATWIN_SUPERVISOR: `bridge:${controller}` } : {}) }]));
    services = await startServices({ natsUrl: urls.natsUrl, influxUrl: urls.influxUrl, extra });
    const out = mkdtempSync(join(tmpdir(), 'metatwin-grafana-'));
    const args = ['run', 'xor', '--steps', String(STEPS), '--bus', nats.url, '--influx', influx.url, '--no-report', '--out', out];
    const cli = await runCli(args, urls, 120_000);
    if (cli.code !== 0)
      throw new Error(
        `metatwin ${args.join(' ')} exited ${cli.code}\n${cli.stdout}\n${cli.stderr}\n${services.map((s) => `--- ${s.name} (last lines)\n${tail(s.output)}`).join('\n')}`,
      );
    const result = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')) as { run: string; final: { gates_V: number[] } };
    settleDeadline = Date.now() + SETTLE_MS;
    gates = { distributed: result.final.gates_V, simulated: (await runEmbedded(plan.experiment, { runId: 'grafana-reference' })).final.gates_V };

    // The projection is asynchronous: wait for the run's last lifecycle point.
    const lifecycle = `SELECT "status" FROM "run" WHERE "run" = '${result.run}'`;
    let rows: unknown[][] = [];
    for (;;) {
      rows = (await influxQuery(urls, lifecycle)).flatMap((s) => s.values);
      if (rows.some((r) => r[1] === 'finished') || Date.now() > settleDeadline) break;
      await sleep(500);
    }
    if (!rows.some((r) => r[1] === 'finished'))
      throw new Error(
        `run ${result.run} has no "finished" point in InfluxDB database ${DATABASE} ${SETTLE_MS / 1000} s after the CLI exited (${lifecycle} → ${JSON.stringify(rows)})`,
      );
    const experiments = tagValues(await influxQuery(urls, `SHOW TAG VALUES FROM "run" WITH KEY = "experiment" WHERE "run" = '${result.run}'`));
    expect(experiments).toHaveLength(1);
    // The twin beside the hardware: the run's residuals into InfluxDB, for the Hardware link dashboard.
    const compared = await runCli(['compare', result.run, '--log', nats.url, '--influx', influx.url], urls, 120_000);
    if (compared.code !== 0) throw new Error(`metatwin compare ${result.run} exited ${compared.code}\n${compared.stdout}\n${compared.stderr}`);
    // A small real study (2 sizes × 2 topologies, embedded) with its rows projected, for the Studies dashboard.
    const studyDir = mkdtempSync(join(tmpdir(), 'metatwin-grafana-study-'));
    writeFileSync(
      join(studyDir, 'study.yaml'),
      'name: grafana-live\nbase: { schedule: { steps: 300, testEvery: 50 } }\naxes: { task: xor, topology: "lattice, random-regular", size: "4, 6" }\nmetrics: { targetFall: 1.5 }\n',
    );
    process.env.METATWIN_STUDIES_DIR = join(studyDir, 'studies');
    const studied = await runCli(['study', 'run', join(studyDir, 'study.yaml'), '--workers', '2', '--influx', influx.url], urls, 120_000);
    delete process.env.METATWIN_STUDIES_DIR;
    if (studied.code !== 0) throw new Error(`metatwin study run exited ${studied.code}\n${studied.stdout}\n${studied.stderr}`);
    const study = /^study (\S+): \d+ jobs$/m.exec(studied.stdout)?.[1];
    if (!study) throw new Error(`no study id in:\n${studied.stdout}`);
    const times = rows.map((r) => Number(r[0]));
    info = { run: result.run, experiment: experiments[0], edges: result.final.gates_V.length, first_ms: Math.min(...times), last_ms: Math.max(...times), study };
  }, 180_000);

  afterAll(async () => {
    await stopServices(services);
    await influx?.stop();
    await nats?.stop();
    await emulator?.close();
  });

  /** Grafana's choice for each variable in this test: the run's own experiment and id, the first datapoint, every service ("All"). */
  function choose(dashboard: Dashboard, name: string, values: string[]): string[] {
    switch (name) {
      case 'experiment':
        expect([dashboard.uid, name, values]).toEqual([dashboard.uid, name, expect.arrayContaining([info.experiment])]);
        return [info.experiment];
      case 'run':
      case 'compared_run':
        expect([dashboard.uid, name, values]).toEqual([dashboard.uid, name, expect.arrayContaining([info.run])]);
        return [info.run];
      case 'study':
        expect([dashboard.uid, name, values]).toEqual([dashboard.uid, name, expect.arrayContaining([info.study])]);
        return [info.study];
      case 'datapoint':
        return values.slice(0, 1);
      case 'service':
      case 'controller':
        return values;
      default:
        throw new Error(`dashboard ${dashboard.uid}: variable $${name} has no rule in live.spec.ts`);
    }
  }

  /** Values for a dashboard's variables, running their queries in order as Grafana does. */
  async function select(dashboard: Dashboard): Promise<Record<string, string[]>> {
    const cached = selections.get(dashboard.uid ?? '');
    if (cached) return cached;
    const values: Record<string, string[]> = {};
    for (const variable of variables(dashboard)) {
      const query = interpolate(variableQuery(variable), dashboard, { timeFilter: timeFilter(t0, Date.now()), from_ms: t0, to_ms: Date.now(), interval_ms: 1000, values });
      const found = tagValues(await rowsEventually(urls, query, settleDeadline));
      if (found.length === 0) throw new Error(`dashboard ${dashboard.title}: variable $${variable.name} has no values\n${query}`);
      values[variable.name] = choose(dashboard, variable.name, found);
    }
    selections.set(dashboard.uid ?? '', values);
    return values;
  }

  const isRunLevel = (dashboard: Dashboard): boolean => variables(dashboard).some((v) => v.name === 'run');

  /** The whole test window: from an hour before the stack started to an hour from now. */
  function wide(values: Record<string, string[]>): QueryContext {
    const from_ms = t0 - 3_600_000;
    const to_ms = Date.now() + 3_600_000;
    return { timeFilter: `time >= ${from_ms}ms and time <= now() + 1h`, from_ms, to_ms, interval_ms: roundInterval((to_ms - from_ms) / RESOLUTION), values };
  }

  /** Zoomed as a person would: to the run's own span (run-level dashboards) or to the test's wall-clock span (services). */
  function zoomed(dashboard: Dashboard, values: Record<string, string[]>): QueryContext {
    const [from_ms, to_ms] = isRunLevel(dashboard) ? [info.first_ms - 1_000, info.last_ms + 1_000] : [t0, Date.now() + 1_000];
    return { timeFilter: timeFilter(from_ms, to_ms), from_ms, to_ms, interval_ms: roundInterval((to_ms - from_ms) / RESOLUTION), values };
  }

  async function everyTargetHasRows(file: DashboardFile, context: (values: Record<string, string[]>) => QueryContext): Promise<void> {
    const values = await select(file.json);
    const failures: string[] = [];
    for (const { panel, target } of panelTargets(file.json)) {
      const query = interpolate(target.query ?? '', file.json, context(values));
      const where = `dashboard "${file.json.title}" (${file.file}), panel "${panel.title}", target ${target.refId}`;
      try {
        const series = await rowsEventually(urls, query, settleDeadline);
        if (rowCount(series) === 0) failures.push(`${where}: no rows\n  ${query}`);
      } catch (err) {
        failures.push(`${where}: ${(err as Error).message}\n  ${query}`);
      }
    }
    if (failures.length > 0)
      throw new Error(`${failures.length} quer${failures.length === 1 ? 'y' : 'ies'} failed (database ${DATABASE}, run ${info.run}):\n${failures.join('\n')}`);
  }

  it.each(dashboards.map((d) => [d.json.title, d] as const))('%s: every template variable query returns values, including this run', async (_title, file) => {
    const values = await select(file.json);
    for (const variable of variables(file.json)) expect([variable.name, (values[variable.name]?.length ?? 0) > 0]).toEqual([variable.name, true]);
  });

  it.each(dashboards.map((d) => [d.json.title, d] as const))('%s: every panel query returns rows over the whole window', async (_title, file) => {
    await everyTargetHasRows(file, wide);
  });

  it.each(dashboards.map((d) => [d.json.title, d] as const))('%s: every panel query returns rows zoomed to the run', async (_title, file) => {
    await everyTargetHasRows(file, (values) => zoomed(file.json, values));
  });

  it('every service reports its health', async () => {
    const series = await rowsEventually(urls, 'SHOW TAG VALUES FROM "service" WITH KEY = "service"', settleDeadline);
    expect(tagValues(series)).toEqual(expect.arrayContaining([...SOURCES]));
  });

  it('the run with the supervisor on its bridge ends with the gates of the all-simulated run', () => {
    expect(gates.distributed).toHaveLength(info.edges);
    expect(gates.distributed).toEqual(gates.simulated);
  });

  it("Hardware link shows the supervisor's link to the emulator: up, frames both ways, none refused", async () => {
    const file = dashboards.find((d) => d.json.uid === 'metatwin-hardware-link');
    if (!file) throw new Error('no hardware link dashboard');
    const values = await select(file.json);
    expect(values.service).toEqual(['supervisor']);
    expect(values.controller).toEqual([controller]);
    const last = await influxQuery(
      urls,
      `SELECT last("state_name") AS "state", last("framesSent") AS "sent", last("framesReceived") AS "received", last("badFrames") AS "bad", last("answered") AS "answered" FROM "${MEASUREMENTS.controllerLink}" WHERE "service" = 'supervisor' AND "controller" = '${controller}'`,
    );
    expect(last).toHaveLength(1);
    const row = Object.fromEntries(last[0].columns.map((c, i) => [c, last[0].values[0][i]]));
    // Two commands per training step (DAC write, pulse), each answered.
    expect(row).toMatchObject({ state: 'up', bad: 0 });
    expect(row.sent).toBeGreaterThanOrEqual(2 * STEPS);
    expect(row.received).toBeGreaterThanOrEqual(row.answered as number);
    expect(row.answered).toBeGreaterThanOrEqual(2 * STEPS);
    const rates = panelTargets(file.json).find(({ panel }) => panel.title === 'Frame rate');
    if (!rates) throw new Error('Hardware link has no Frame rate panel');
    const series = await influxQuery(urls, interpolate(rates.target.query ?? '', file.json, zoomed(file.json, values)));
    const peak = Math.max(...series.flatMap((s) => s.values.map((r) => Number(r[s.columns.indexOf('sent')]))));
    expect(peak).toBeGreaterThan(0);
  });

  it('Training shows every error mode the run wrote, and a truth-table row per datapoint', async () => {
    const file = dashboards.find((d) => d.json.uid === 'metatwin-training');
    if (!file) throw new Error('no training dashboard');
    const values = await select(file.json);
    const modeFields = (await influxQuery(urls, 'SHOW FIELD KEYS FROM "error"')).flatMap((s) => s.values.map((r) => String(r[0]))).filter((f) => /^mode_.+_V$/.test(f));
    expect(modeFields).toEqual(expect.arrayContaining(['mode_E00_V', 'mode_E01_V', 'mode_E10_V', 'mode_E11_V']));
    const modes = panelTargets(file.json).find(({ target }) => /FROM "error"/.test(target.query ?? '') && /\/\^mode_/.test(target.query ?? ''));
    if (!modes) throw new Error('Training has no error-modes query');
    const modeSeries = await influxQuery(urls, interpolate(modes.target.query ?? '', file.json, zoomed(file.json, values)));
    expect(
      modeSeries
        .flatMap((s) => s.columns)
        .filter((c) => c !== 'time')
        .sort(),
    ).toEqual([...modeFields].sort());

    const table = panelTargets(file.json).find(({ panel }) => panel.type === 'table');
    if (!table) throw new Error('Training has no table panel');
    const datapoints = tagValues(await influxQuery(urls, `SHOW TAG VALUES FROM "output" WITH KEY = "datapoint" WHERE "run" = '${info.run}'`));
    const rows = await influxQuery(urls, interpolate(table.target.query ?? '', file.json, zoomed(file.json, values)));
    expect(rows.map((s) => s.tags?.datapoint).sort()).toEqual([...datapoints].sort());
    expect(rows.every((s) => (s.tags?.inputs ?? '').split(',').length === 2)).toBe(true);
  });

  it('Network draws one heatmap row per edge of the network', async () => {
    const file = dashboards.find((d) => d.json.uid === 'metatwin-network');
    if (!file) throw new Error('no network dashboard');
    const values = await select(file.json);
    const heatmap = panelTargets(file.json).find(({ panel }) => panel.type === 'heatmap');
    if (!heatmap) throw new Error('Network has no heatmap panel');
    const series = await influxQuery(urls, interpolate(heatmap.target.query ?? '', file.json, zoomed(file.json, values)));
    expect(series.length).toBe(info.edges);
  });
});
