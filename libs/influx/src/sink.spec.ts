/** The sink against a real influxd: batches, creates the database, holds back producers while it is away. */
import { startInflux, type InfluxServer } from '@metatwin/test-support';
import type { Point } from '@metatwin/projection';
import { InfluxSink } from './sink';
import { influxTarget } from './target';

const points = (from: number, n: number): Point[] =>
  Array.from({ length: n }, (_, i) => ({
    measurement: 'gate',
    tags: { run: 'sink-test', edge: String((from + i) % 32) },
    fields: { gate_V: (from + i) / 1e4, step: from + i },
    time_us: 1_800_000_000_000_000 + from + i,
  }));

async function count(url: string, db: string): Promise<number> {
  const res = await fetch(`${url}/query?db=${db}&q=${encodeURIComponent('SELECT count("step") FROM "gate"')}`);
  const body = (await res.json()) as { results: Array<{ series?: Array<{ values: number[][] }> }> };
  return body.results[0].series?.[0].values[0][1] ?? 0;
}

describe('InfluxSink', () => {
  let influx: InfluxServer;
  beforeAll(async () => (influx = await startInflux()));
  afterAll(async () => influx?.stop());

  it('creates the database on first use and writes every point once', async () => {
    const sink = new InfluxSink(influxTarget(`${influx.url}/sink_a`, {}) as NonNullable<ReturnType<typeof influxTarget>>, { batchSize: 700 });
    await sink.write(points(0, 5000));
    expect(await sink.flush(30_000)).toBe(true);
    expect(sink.stats).toEqual({ written: 5000, pending: 0, failures: 0 });
    expect(await count(influx.url, 'sink_a')).toBe(5000);
    await sink.close();
  });

  it('while influxd is away, holds at most maxPending points, makes producers wait, and writes all once it is back', async () => {
    const errors: string[] = [];
    const sink = new InfluxSink(influxTarget(`${influx.url}/sink_b`, {}) as NonNullable<ReturnType<typeof influxTarget>>, {
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
    expect(await count(influx.url, 'sink_b')).toBe(10_000);
    await sink.close();
  });
});
