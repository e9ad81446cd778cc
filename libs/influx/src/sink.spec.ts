/** The sink against a real influxd: batches, creates the database, holds back producers while it is away. */
import { startInflux, type InfluxServer } from '@metatwin/test-support';
import type { Point } from '@metatwin/projection';
import { InfluxSink } from './sink';
import { influxTarget, type InfluxTarget } from './target';

const points = (from: number, n: number): Point[] =>
  Array.from({ length: n }, (_, i) => ({
    measurement: 'gate',
    tags: { run: 'sink-test', edge: String((from + i) % 32) },
    fields: { gate_V: (from + i) / 1e4, step: from + i },
    time_us: 1_800_000_000_000_000 + from + i,
  }));

async function count(influx: InfluxServer, db: string): Promise<number> {
  const res = await fetch(`${influx.url}/query?db=${db}&q=${encodeURIComponent('SELECT count("step") FROM "gate"')}`, { headers: influx.headers('reader') });
  const body = (await res.json()) as { results: Array<{ series?: Array<{ values: number[][] }> }> };
  return body.results[0].series?.[0].values[0][1] ?? 0;
}

describe('InfluxSink', () => {
  let influx: InfluxServer;
  // With auth (as deployed) the writer may not create databases: set-up makes them.
  beforeAll(async () => (influx = await startInflux({ databases: ['sink_a', 'sink_b'] })));
  afterAll(async () => influx?.stop());
  const target = (db: string, env: NodeJS.ProcessEnv = influx.env): InfluxTarget => influxTarget(`${influx.url}/${db}`, env) as InfluxTarget;

  it('as the writer, writes every point once into a database made at set-up', async () => {
    const sink = new InfluxSink(target('sink_a'), { batchSize: 700 });
    await sink.write(points(0, 5000));
    expect(await sink.flush(30_000)).toBe(true);
    expect(sink.stats).toEqual({ written: 5000, pending: 0, failures: 0 });
    expect(await count(influx, 'sink_a')).toBe(5000);
    await sink.close();
  });

  it('while influxd is away, holds at most maxPending points, makes producers wait, and writes all once it is back', async () => {
    const errors: string[] = [];
    const sink = new InfluxSink(target('sink_b'), {
      batchSize: 500,
      maxPending: 2000,
      retryMin_ms: 50,
      retryMax_ms: 200,
      onError: (e) => errors.push(e.message),
    });
    await influx.halt();
    let produced = 0;
    const producer = (async () => {
      for (let i = 0; i < 10; i++) {
        await sink.write(points(i * 1000, 1000));
        produced += 1000;
      }
    })();
    await new Promise((r) => setTimeout(r, 1500));
    // Bounded: the producer is held back at the limit (one write may land on top of it).
    expect(produced).toBeLessThanOrEqual(3000);
    expect(sink.stats.pending).toBeLessThanOrEqual(3000);
    expect(errors.length).toBeGreaterThan(0);
    await influx.start();
    await producer;
    expect(await sink.flush(60_000)).toBe(true);
    expect(produced).toBe(10_000);
    expect(await count(influx, 'sink_b')).toBe(10_000);
    await sink.close();
  });

  it('creates the database on first use when its user may (an admin)', async () => {
    const admin = { METATWIN_INFLUX_USER: 'admin', METATWIN_INFLUX_PASSWORD: influx.users.admin.password };
    const sink = new InfluxSink(target('sink_c', admin), { batchSize: 700 });
    await sink.write(points(0, 1000));
    expect(await sink.flush(30_000)).toBe(true);
    expect(sink.stats).toEqual({ written: 1000, pending: 0, failures: 0 });
    await influx.createDatabase('sink_c'); // the reader's READ, to count
    expect(await count(influx, 'sink_c')).toBe(1000);
    await sink.close();
  });
});
