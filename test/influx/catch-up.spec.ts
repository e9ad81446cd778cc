/**
 * InfluxDB is a projection of the event log, never the only copy: stop influxd in the middle
 * of a run, start it again, and the projection catches up with every point, none twice —
 * for the measurement service's projector (distributed) and for an embedded `--influx` run.
 * `metatwin influx rebuild` re-projects a recorded run into a fresh database, the same points.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SOURCES } from '@metatwin/contracts';
import { FileEventLog, JetStreamEventLog, type EventLog } from '@metatwin/eventlog';
import {
  credentialsEnv,
  REPO_ROOT as ROOT,
  startInflux,
  startNats,
  startServices,
  stopServices,
  type InfluxServer,
  type NatsServer,
  type ServiceProcess,
} from '@metatwin/test-support';
import { connect } from 'nats';
import { expectedPoints, type Expected } from './expected';

interface Cli {
  readonly done: Promise<{ code: number | null; out: string }>;
}

function cli(args: string[], env: NodeJS.ProcessEnv): Cli {
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'metatwin.js'), ...args], {
    cwd: ROOT,
    env: { ...process.env, ...credentialsEnv(), METATWIN_INFLUX_URL: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  return { done: new Promise((resolve) => child.on('exit', (code) => resolve({ code, out }))) };
}

/** InfluxQL as Grafana asks it: the reader (READ only). */
async function query(influx: InfluxServer, db: string, q: string): Promise<Array<{ name: string; columns: string[]; values: unknown[][] }>> {
  const res = await fetch(`${influx.url}/query?db=${encodeURIComponent(db)}&epoch=u&q=${encodeURIComponent(q)}`, { headers: influx.headers('reader') });
  const body = (await res.json()) as { error?: string; results?: Array<{ error?: string; series?: Array<{ name: string; columns: string[]; values: unknown[][] }> }> };
  const error = body.error ?? body.results?.[0]?.error;
  if (!res.ok || error) throw new Error(`InfluxDB: ${error ?? res.status} for ${q}`);
  return body.results?.[0]?.series ?? [];
}

/** Points of a run per measurement: every run-level point has the field `step`. */
async function counts(influx: InfluxServer, db: string, runId: string, measurements: string[]): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const m of measurements) {
    const series = await query(influx, db, `SELECT count("step") FROM "${m}" WHERE "run" = '${runId}'`).catch(() => []);
    out[m] = Number(series[0]?.values[0]?.[1] ?? 0);
  }
  return out;
}

async function waitFor(what: string, timeout_ms: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeout_ms;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout_ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function expectProjected(influx: InfluxServer, db: string, runId: string, expected: Expected): Promise<void> {
  const measurements = Object.keys(expected.counts);
  let got: Record<string, number> = {};
  await waitFor(`every point of ${runId} in ${db}`, 60_000, async () => {
    got = await counts(influx, db, runId, measurements);
    return measurements.every((m) => got[m] >= expected.counts[m]);
  }).catch((err) => {
    throw new Error(`${(err as Error).message}: got ${JSON.stringify(got)}, expected ${JSON.stringify(expected.counts)}`);
  });
  // Exactly the projection of the log: nothing missing, nothing extra, nothing twice.
  expect(got).toEqual(expected.counts);
  const errors = await query(influx, db, `SELECT "mse_V2" FROM "error" WHERE "run" = '${runId}'`);
  const stored = new Map(errors[0].values.map((row) => [row[0] as number, row[1] as number]));
  expect(stored).toEqual(expected.mseByTime_us);
}

describe('the InfluxDB projection catches up after influxd was away', () => {
  let nats: NatsServer;
  let influx: InfluxServer;

  beforeAll(async () => {
    nats = await startNats();
    // As deployed: auth on, the databases made at set-up, the services and the CLI writing as the writer.
    influx = await startInflux({ databases: ['catchup_distributed', 'catchup_rebuilt', 'catchup_embedded'] });
  });

  afterAll(async () => {
    await influx?.stop();
    await nats?.stop();
  });

  /** Wait until the run has points in InfluxDB, stop influxd for a while, start it again. */
  async function outage(db: string, runDone: Promise<unknown>): Promise<void> {
    await waitFor('the first gate points', 60_000, async () => (await query(influx, db, 'SELECT count("gate_V") FROM "gate"')).length > 0);
    await influx.halt();
    let finished = false;
    void runDone.then(() => (finished = true));
    await new Promise((r) => setTimeout(r, 2000));
    // The run went on without InfluxDB (it is not the only copy).
    expect(finished).toBe(false);
    await influx.start();
  }

  it('distributed: the measurement service projects the JetStream log and fills the outage from it', async () => {
    const db = 'catchup_distributed';
    let services: ServiceProcess[] = [];
    try {
      services = await startServices({ natsUrl: nats.url, influxUrl: `${influx.url}/${db}`, extra: Object.fromEntries(SOURCES.map((s) => [s, influx.env])) });
      // What a writer may put on its own subject: a message that is no batch, and a batch claiming
      // another run. The projector leaves both out and goes on (it once stopped at the first).
      const writer = await connect({ servers: nats.url, ...nats.connectOptions('measurement') });
      const js = writer.jetstream();
      await js.publish('mtlog.decoy.measurement', new TextEncoder().encode('{"runId": not json'));
      await js.publish('mtlog.decoy.measurement', new TextEncoder().encode(JSON.stringify({ runId: 'forged-run', source: 'measurement', firstSeq: 1, lastSeq: 1, records: [] })));
      await writer.close();
      const out = mkdtempSync(join(tmpdir(), 'mt-influx-'));
      const run = cli(['run', 'xor', '--steps', '12000', '--bus', nats.url, '--no-report', '--out', out], {});
      await outage(db, run.done);
      const { code, out: text } = await run.done;
      expect({ code, text }).toMatchObject({ code: 0 });
      const runId = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')).run as string;
      const log: EventLog = await JetStreamEventLog.connect({ servers: nats.url, security: nats.security('observer') });
      try {
        const expected = await expectedPoints(log, runId);
        await expectProjected(influx, db, runId, expected);
        const runs = (await query(influx, db, 'SHOW TAG VALUES FROM "gate" WITH KEY = "run"'))[0]?.values.map((v) => v[1]);
        expect(runs).toEqual([runId]);
        // Rebuild into another database from the log alone: the same points.
        const rebuilt = await cli(['influx', 'rebuild', runId, '--log', nats.url, '--influx', `${influx.url}/catchup_rebuilt`], influx.env).done;
        expect(rebuilt.code).toBe(0);
        await expectProjected(influx, 'catchup_rebuilt', runId, expected);
      } finally {
        await log.close();
      }
    } finally {
      await stopServices(services);
    }
  });

  it('embedded --influx: a run keeps going while influxd is away and its projection completes', async () => {
    const db = 'catchup_embedded';
    const out = mkdtempSync(join(tmpdir(), 'mt-influx-'));
    const logDir = join(out, 'log');
    // Long enough to outlast the 2 s outage with room to spare (the embedded path runs ≈ 40,000 steps/s projecting).
    const run = cli(['run', 'xor', '--steps', '300000', '--record', logDir, '--influx', `${influx.url}/${db}`, '--no-report', '--out', out], influx.env);
    await outage(db, run.done);
    const { code, out: text } = await run.done;
    expect({ code, text }).toMatchObject({ code: 0 });
    const runId = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')).run as string;
    const log = await FileEventLog.open(logDir);
    try {
      await expectProjected(influx, db, runId, await expectedPoints(log, runId));
    } finally {
      await log.close();
    }
  });

  it('names a bad target and an unknown run', async () => {
    const bad = await cli(['influx', 'rebuild', 'x', '--influx', 'ftp://nowhere'], {}).done;
    expect(bad.code).toBe(2);
    expect(bad.out).toMatch(/--influx must use http:\/\/ or https:\/\//);
    const unknown = await cli(['influx', 'rebuild', 'no-such-run', '--log', nats.url, '--influx', influx.url], {}).done;
    expect(unknown.code).toBe(2);
    expect(unknown.out).toMatch(/run "no-such-run" is not in the event log/);
  });
});
