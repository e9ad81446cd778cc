/**
 * InfluxDB benchmarks (issue 5): how fast the projection writes points during a run, and how
 * much projecting into InfluxDB slows a distributed run (goal: under 20 %). Real nats-server
 * and influxd; the four services as separate processes, with and without METATWIN_INFLUX_URL.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SOURCES } from '@metatwin/contracts';
import { InfluxSink, influxTarget } from '@metatwin/influx';
import type { Point } from '@metatwin/projection';
import { REPO_ROOT as root, credentialsEnv, startInflux, startNats, startServices, stopServices, type InfluxServer } from '@metatwin/test-support';

function runXor(args: string[], env: NodeJS.ProcessEnv = {}): { run: string; wall_s: number; out: string } {
  const dir = mkdtempSync(join(tmpdir(), 'mt-bench-influx-'));
  const r = spawnSync(process.execPath, [join(root, 'bin', 'metatwin.js'), 'run', 'xor', ...args, '--out', dir, '--no-report'], {
    encoding: 'utf8',
    env: { ...process.env, ...credentialsEnv(), METATWIN_INFLUX_URL: '', METATWIN_LOG_DIR: join(dir, 'log'), ...env },
  });
  if (r.status !== 0) throw new Error(`run failed: ${r.stdout}\n${r.stderr}`);
  const result = JSON.parse(readFileSync(join(dir, 'result.json'), 'utf8')) as { run: string; wall_s: number };
  return { ...result, out: r.stdout };
}

async function pointsOfRun(influx: InfluxServer, db: string, runId: string): Promise<number> {
  let total = 0;
  for (const m of ['run', 'error', 'output', 'gate', 'power', 'learn_enable', 'dac', 'clamp', 'adc']) {
    const res = await fetch(`${influx.url}/query?db=${db}&q=${encodeURIComponent(`SELECT count("step") FROM "${m}" WHERE "run" = '${runId}'`)}`, {
      headers: influx.headers('reader'),
    });
    const body = (await res.json()) as { results: Array<{ series?: Array<{ values: number[][] }> }> };
    total += body.results[0].series?.[0].values[0][1] ?? 0;
  }
  return total;
}

export async function benchInflux(out: (s: string) => void, quick: boolean): Promise<void> {
  const nats = await startNats();
  // Auth on, as deployed: every write below is the writer's, every count the reader's.
  const influx = await startInflux({ databases: ['bench_sink', 'bench_embedded', 'bench_distributed'] });
  try {
    // 1. The sink alone: batched HTTP writes of projection-shaped points.
    const sink = new InfluxSink(influxTarget(`${influx.url}/bench_sink`, influx.env) as NonNullable<ReturnType<typeof influxTarget>>);
    const n = quick ? 50_000 : 200_000;
    const points: Point[] = Array.from({ length: n }, (_, i) => ({
      measurement: 'gate',
      tags: { run: 'bench', experiment: 'xor', task: 'xor', edge: String(i % 32), nodes: '0-1' },
      fields: { gate_V: 3.5 + i * 1e-6, conductance_S: 1e-4, t_s: i * 1e-4, step: i },
      time_us: 1_800_000_000_000_000 + i * 100,
    }));
    const t0 = performance.now();
    await sink.write(points);
    await sink.flush();
    const sinkRate = n / ((performance.now() - t0) / 1000);
    await sink.close();
    out(`InfluxDB sink alone: ${n.toLocaleString('en-US')} points in batches of 5,000 = ${Math.round(sinkRate).toLocaleString('en-US')} points/s`);

    // 2. Embedded run projecting live (the recorder hands each stored batch to the projector).
    const steps = quick ? 20_000 : 100_000;
    const plain = runXor(['--steps', String(steps)]);
    const projected = runXor(['--steps', String(steps), '--influx', `${influx.url}/bench_embedded`], influx.env);
    const embeddedPoints = await pointsOfRun(influx, 'bench_embedded', projected.run);
    out(
      `embedded xor, ${steps.toLocaleString('en-US')} steps: ${plain.wall_s.toFixed(2)} s logged to a file, ${projected.wall_s.toFixed(2)} s also projected into InfluxDB (${embeddedPoints.toLocaleString('en-US')} points, ${Math.round(embeddedPoints / projected.wall_s).toLocaleString('en-US')} points/s during the run) = ×${(projected.wall_s / plain.wall_s).toFixed(2)}`,
    );

    // 3. Distributed: the same run with and without the measurement service projecting the
    //    JetStream log (and every service writing health), alternated to share the machine's noise.
    const dsteps = quick ? 4000 : 10_000;
    const walls: Record<'off' | 'on', number[]> = { off: [], on: [] };
    let last = { run: '', start: 0, end: 0 };
    for (const round of quick ? [0] : [0, 1, 2, 3, 4, 5]) {
      for (const mode of ['off', 'on'] as const) {
        const children = await startServices({
          natsUrl: nats.url,
          influxUrl: mode === 'on' ? `${influx.url}/bench_distributed` : undefined,
          extra: Object.fromEntries(SOURCES.map((s) => [s, influx.env])),
        });
        try {
          const start = Date.now();
          const r = runXor(['--steps', String(dsteps), '--bus', nats.url]);
          walls[mode].push(r.wall_s);
          if (mode === 'on') last = { run: r.run, start, end: Date.now() };
        } finally {
          if (mode === 'off') await stopServices(children);
          else {
            // Points/s of the live projection: until InfluxDB holds the whole run (the count
            // unchanged over three polls, longer than the sink's 1 s linger).
            let count = 0;
            let caughtUp = 0;
            for (let i = 0, same = 0; i < 600 && same < 3; i++) {
              const now = await pointsOfRun(influx, 'bench_distributed', last.run);
              if (now > 0 && now === count) same++;
              else [same, count, caughtUp] = [0, now, Date.now()];
              await new Promise((r) => setTimeout(r, 500));
            }
            out(
              `  round ${round + 1}: projection of ${count.toLocaleString('en-US')} points complete ${((caughtUp - last.end) / 1000).toFixed(1)} s after the run (±0.5 s, this poll); ${Math.round(count / ((last.end - last.start) / 1000)).toLocaleString('en-US')} points/s during the run`,
            );
            await stopServices(children);
          }
        }
      }
    }
    // Two cores carry four services, nats-server, influxd and the client: single runs vary by
    // ±10 %, so compare medians of alternating runs.
    const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
    const slow = median(walls.on) / median(walls.off) - 1;
    out(
      `distributed xor, ${dsteps.toLocaleString('en-US')} steps: ${walls.off.map((w) => w.toFixed(2)).join(' / ')} s without InfluxDB, ${walls.on.map((w) => w.toFixed(2)).join(' / ')} s projecting into InfluxDB; medians ${median(walls.off).toFixed(2)} s vs ${median(walls.on).toFixed(2)} s = ${(slow * 100).toFixed(1)} % slower; goal < 20 %`,
    );
  } finally {
    await influx.stop();
    await nats.stop();
  }
}
