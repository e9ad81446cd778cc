/**
 * Load (issue 14): one set of the four service processes on a production-like nats-server
 * (every role's permissions) carries 16 distributed runs at once, each bit for bit its own
 * reference; and a flood of 20,000 invalid messages in 2 s, posted with a service's
 * credentials on subjects the services follow, is dead-lettered whole while a legitimate run
 * completes identical to its reference, slowed at most 2×.
 *
 * References are embedded `--bus direct` runs of the same seed (cheap: no log); the first
 * test checks, for one seed, that a distributed run alone is bit for bit that embedded run.
 * Per-step latency is the wall time between successive GatesEvolved of a run reaching the
 * log (load-rig.ts); p50/p99 are printed alone and under the 16-run load.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunResult } from '@metatwin/experiments';
import { killClis, serviceHealth, startCli, startNats, startServices, stopServices, type NatsServer, type ServiceProcess } from '@metatwin/test-support';
import { flood, percentile, stepLatencies, watchGates, type GatesWatch } from './load-rig';

type Result = RunResult & { run: string; mode: 'embedded' | 'distributed' };

/**
 * Steps per concurrent run: 16 × 1,200 steps on 2 shared cores. Long enough that the first run,
 * started 15 × STAGGER_MS before the last, is still going when the last starts (a CI run saw
 * 600-step runs, ≈ 2.6 s alone, end the first 0.3 s before the last began).
 */
const STEPS = 1200;
const RUNS = 16;
/** The flooded run is longer, so that the whole 2 s flood falls inside it. */
const FLOOD_STEPS = 3000;
/** Between the starts of the concurrent runs. */
const STAGGER_MS = 300;
const FLOOD_COUNT = 20_000;
const FLOOD_MS = 2000;
/** Into the flooded run when the flood starts. */
const FLOOD_AFTER_MS = 1500;
/*
 * The flood may slow the run at most 2× (issue 14). It once slowed it ×2.4–5.8: the services
 * had nats-server's allow_responses, which keeps every reply subject a client is sent —
 * JetStream's deliveries included — for its expiry and, past 4,096 of them, scans them all on
 * each delivery, so 20,000 stored invalid batches made every service's consumer quadratic for
 * a minute. Services now answer on their own reply namespace instead (libs/nats-auth roles.ts).
 */
const MAX_FLOOD_SLOWDOWN = 2;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const fmt = (ms: number): string => `${ms.toFixed(2)} ms`;

describe('load: 16 concurrent runs and a flood of invalid messages on one set of services (real nats-server, roles)', () => {
  let nats: NatsServer;
  let services: ServiceProcess[] = [];
  let watch: GatesWatch;
  const references = new Map<number, Result>();

  beforeAll(async () => {
    nats = await startNats();
    services = await startServices({ natsUrl: nats.url, natsEnv: nats.env });
    watch = await watchGates(nats);
  });
  afterAll(async () => {
    killClis();
    await watch?.stop();
    await stopServices(services);
    await nats?.stop();
  });

  const run = async (seed: number, steps: number, bus: string): Promise<Result> => {
    const dir = mkdtempSync(join(tmpdir(), 'mt-load-'));
    const r = await startCli(['run', 'xor', '--seed', String(seed), '--steps', String(steps), '--bus', bus, '--out', dir, '--no-report'], nats.env).within(240_000);
    if (r.code !== 0) throw new Error(`metatwin run xor --seed ${seed} --bus ${bus} exited ${String(r.code)}:\n${r.out}`);
    return JSON.parse(readFileSync(join(dir, 'result.json'), 'utf8')) as Result;
  };
  /** The embedded reference of a seed, run once. */
  const reference = async (seed: number, steps: number): Promise<Result> => {
    const key = seed * 1_000_000 + steps;
    const known = references.get(key);
    if (known) return known;
    const r = await run(seed, steps, 'direct');
    references.set(key, r);
    return r;
  };
  const expectIdentical = (got: Result, ref: Result): void => {
    expect(got.mode).toBe('distributed');
    expect(got.seed).toBe(ref.seed);
    expect(got.steps).toBe(ref.steps);
    expect(got.final.gates_V).toEqual(ref.final.gates_V);
    expect(got.final.outputs).toEqual(ref.final.outputs);
    expect(got.log.map((e) => [e.step, e.outputs, e.mse, e.gates_V])).toEqual(ref.log.map((e) => [e.step, e.outputs, e.mse, e.gates_V]));
  };
  const latencies = (runId: string, steps: number): number[] => {
    const seen = watch.runs.get(runId);
    expect(seen?.steps).toEqual(Array.from({ length: steps }, (_, k) => k));
    return stepLatencies(seen ?? { steps: [], at_ms: [] });
  };
  const single = { p50: Number.NaN, p99: Number.NaN, wall_s: Number.NaN };

  it('a distributed run alone is bit for bit its embedded (--bus direct) run', async () => {
    const ref = await reference(1, STEPS);
    const got = await run(1, STEPS, nats.url);
    expectIdentical(got, ref);
    const l = latencies(got.run, STEPS);
    Object.assign(single, { p50: percentile(l, 0.5), p99: percentile(l, 0.99), wall_s: got.wall_s });
    console.log(`load: one run alone, ${STEPS} steps in ${got.wall_s.toFixed(2)} s; per-step latency p50 ${fmt(single.p50)}, p99 ${fmt(single.p99)}`);
  });

  it(`${RUNS} concurrent distributed runs (seeds 1–${RUNS}) each equal their own reference`, async () => {
    const seeds = Array.from({ length: RUNS }, (_, k) => k + 1);
    // References two at a time (each a short process of its own).
    for (let k = 0; k < seeds.length; k += 2) await Promise.all(seeds.slice(k, k + 2).map((s) => reference(s, STEPS)));
    // Started 300 ms apart (16 node processes cold-starting at once on 2 cores keep each other from connecting in time), every one
    // awaited before any is judged; the overlap is checked below from the log.
    const t0 = performance.now();
    const settled = await Promise.allSettled(seeds.map(async (s, k) => (await sleep(k * STAGGER_MS), run(s, STEPS, nats.url))));
    const wall_s = (performance.now() - t0) / 1000;
    const failed = settled.flatMap((s) => (s.status === 'rejected' ? [String(s.reason)] : []));
    expect(failed).toEqual([]);
    const results = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    expect(new Set(results.map((r) => r.run)).size).toBe(RUNS);
    const all: number[] = [];
    for (const [k, got] of results.entries()) {
      expectIdentical(got, await reference(seeds[k], STEPS));
      all.push(...latencies(got.run, STEPS));
    }
    // All 16 ran at once: the last to start had its first step before the first to end had its last.
    const spans = results.map((r) => watch.runs.get(r.run)?.at_ms ?? []);
    const lastFirst = Math.max(...spans.map((a) => a[0]));
    const firstLast = Math.min(...spans.map((a) => a[a.length - 1]));
    expect(lastFirst).toBeLessThan(firstLast);
    const p50 = percentile(all, 0.5);
    const p99 = percentile(all, 0.99);
    const walls = results.map((r) => r.wall_s);
    console.log(
      [
        `load: ${RUNS} concurrent runs of ${STEPS} steps, all identical to their references, in ${wall_s.toFixed(1)} s (${Math.round((RUNS * STEPS) / wall_s)} steps/s together;`,
        ` each run ${Math.min(...walls).toFixed(1)}–${Math.max(...walls).toFixed(1)} s; all ${RUNS} in progress together for ${((firstLast - lastFirst) / 1000).toFixed(1)} s)`,
        `\n  per-step latency p50 ${fmt(p50)}, p99 ${fmt(p99)}; alone p50 ${fmt(single.p50)}, p99 ${fmt(single.p99)}`,
      ].join(''),
    );
    expect(Number.isFinite(p99)).toBe(true);
  });

  it(`a flood of ${FLOOD_COUNT} invalid messages in ${FLOOD_MS / 1000} s is dead-lettered, and a legitimate run completes identical, slowed at most 2×`, async () => {
    // The test process's own follower is stopped: what the flood costs is the services' (and nats-server's) alone.
    await watch.stop();
    const seed = 7;
    const ref = await reference(seed, FLOOD_STEPS);
    const quiet = await run(seed, FLOOD_STEPS, nats.url);
    expectIdentical(quiet, ref);
    const healthBefore = await serviceHealth(nats.url, 'supervisor', 2000, nats.env);

    // The flood starts once the run is under way and is posted whole while it goes on.
    let ended = false;
    const flooded = run(seed, FLOOD_STEPS, nats.url).finally(() => (ended = true));
    await sleep(FLOOD_AFTER_MS);
    const posted = await flood(nats, 'flood-target', FLOOD_COUNT, FLOOD_MS);
    const endedDuringFlood = ended;
    const got = await flooded;
    expectIdentical(got, ref);
    // Every invalid batch is dead-lettered by the supervisor (the one service following measurement's subjects).
    let healthAfter = await serviceHealth(nats.url, 'supervisor', 2000, nats.env);
    for (let i = 0; i < 200 && healthAfter.deadLetters - healthBefore.deadLetters < FLOOD_COUNT; i++) {
      await sleep(100);
      healthAfter = await serviceHealth(nats.url, 'supervisor', 2000, nats.env);
    }
    const slowdown = got.wall_s / quiet.wall_s;
    console.log(
      [
        `load: flood of ${posted.sent} invalid messages in ${(posted.elapsed_ms / 1000).toFixed(2)} s (${Math.round(posted.rate)} msg/s) as the measurement service, from ${FLOOD_AFTER_MS} ms into the run;`,
        `\n  run of ${FLOOD_STEPS} steps: ${quiet.wall_s.toFixed(2)} s without, ${got.wall_s.toFixed(2)} s with the flood (×${slowdown.toFixed(2)}; at most ×${MAX_FLOOD_SLOWDOWN});`,
        ` supervisor's dead letters +${healthAfter.deadLetters - healthBefore.deadLetters}`,
      ].join(''),
    );
    expect(posted.sent).toBe(FLOOD_COUNT);
    expect(posted.elapsed_ms).toBeLessThan(FLOOD_MS * 1.5);
    // The flood overlapped the run: the run was still going when the last message was posted.
    expect(endedDuringFlood).toBe(false);
    expect(healthAfter.deadLetters - healthBefore.deadLetters).toBe(FLOOD_COUNT);
    expect(slowdown).toBeLessThanOrEqual(MAX_FLOOD_SLOWDOWN);
  });
});
