/** Study rows through the sink into a real influxd, read back as the Studies dashboard reads them. */
import type { StudyRow } from '@metatwin/studies';
import { startInflux, type InfluxServer } from '@metatwin/test-support';
import { openStudyWriter } from './study-writer';
import { influxTarget } from './target';

const row = (job: string, edges: number, finishedAt: string, extra: Partial<StudyRow> = {}): StudyRow => ({
  study: 'writer-check',
  job,
  params: { size: Math.sqrt(edges), topology: 'lattice', η: 0.5 },
  topology: 'lattice',
  task: 'xor',
  seed: 1,
  nodes: edges,
  edges,
  status: 'done',
  metrics: {
    steps: 1000,
    learning_s: 0.1,
    targetMse_V2: 1e-3,
    stepsToTarget: 400,
    timeToTarget_s: 0.04,
    mseStart_V2: 0.2,
    mseEnd_V2: 1e-4,
    modeHalfTimes_s: { E0: 0.01 },
    learningEnergy_J: 1e-8 * edges,
    opAmpEnergy_J: null,
    inferencePowerPerEdge_W: 1e-6,
    inferenceEnergyPerEdge_J: 1e-12,
  },
  worker: 'host a/1, "quoted"=x',
  wall_s: 2.5,
  version: '0.9.0',
  commit: 'unknown',
  finishedAt,
  ...extra,
});

async function query(influx: InfluxServer, db: string, q: string): Promise<Array<{ columns: string[]; values: unknown[][] }>> {
  const res = await fetch(`${influx.url}/query?${new URLSearchParams({ db, q, epoch: 'ms' })}`, { headers: influx.headers('reader') });
  const body = (await res.json()) as { results: Array<{ error?: string; series?: Array<{ columns: string[]; values: unknown[][] }> }> };
  if (body.results[0].error) throw new Error(body.results[0].error);
  return body.results[0].series ?? [];
}

describe('openStudyWriter', () => {
  let influx: InfluxServer;
  beforeAll(async () => (influx = await startInflux({ databases: ['studies_a', 'studies_b'] })));
  afterAll(async () => influx?.stop());

  it('writes each row as one study point that InfluxDB returns with its tags, fields and time', async () => {
    const target = influxTarget(`${influx.url}/studies_a`, influx.env);
    const writer = openStudyWriter(target);
    expect(writer.url).toBe(target?.url);
    await writer.write(row('j1', 16, '2026-11-30T10:00:00.000Z'));
    await writer.write(row('j2', 64, '2026-11-30T10:00:01.500Z'));
    await writer.write(row('j3', 64, '2026-11-30T10:00:02.000Z', { status: 'failed', metrics: null, error: 'worker lost' }));
    expect(await writer.close(30_000)).toBe(true);
    expect(writer.stats).toMatchObject({ written: 3, pending: 0 });

    const [series] = await query(
      influx,
      'studies_a',
      'SELECT "job", "worker", "status", "edges", "timeToTarget_s", "param_η", "modeHalfTime_E0_s", "failed", "error" FROM "study"',
    );
    expect(series.columns).toEqual(['time', 'job', 'worker', 'status', 'edges', 'timeToTarget_s', 'param_η', 'modeHalfTime_E0_s', 'failed', 'error']);
    expect(series.values).toEqual([
      [Date.UTC(2026, 10, 30, 10, 0, 0), 'j1', 'host a/1, "quoted"=x', 'done', 16, 0.04, 0.5, 0.01, 0, null],
      [Date.UTC(2026, 10, 30, 10, 0, 1, 500), 'j2', 'host a/1, "quoted"=x', 'done', 64, 0.04, 0.5, 0.01, 0, null],
      [Date.UTC(2026, 10, 30, 10, 0, 2), 'j3', 'host a/1, "quoted"=x', 'failed', 64, null, 0.5, null, 1, 'worker lost'],
    ]);
  });

  it('writes the same row once however often it is projected', async () => {
    const writer = openStudyWriter(influxTarget(`${influx.url}/studies_b`, influx.env));
    for (let i = 0; i < 3; i++) await writer.write(row('j1', 16, '2026-11-30T10:00:00.000Z'));
    expect(await writer.close()).toBe(true);
    const [series] = await query(influx, 'studies_b', 'SELECT count("edges") FROM "study"');
    expect(series.values[0][1]).toBe(1);
  });

  it('without InfluxDB takes rows and does nothing', async () => {
    const writer = openStudyWriter(null);
    await writer.write(row('j1', 16, '2026-11-30T10:00:00.000Z'));
    expect(writer.url).toBeNull();
    expect(await writer.close()).toBe(true);
    expect(writer.stats).toEqual({ written: 0, pending: 0, failures: 0 });
  });
});
