/**
 * Load benchmark (issue 14, test/security/load.spec.ts): one set of the four service processes
 * on a private nats-server with the production roles. Per-step latency (wall time between
 * successive GatesEvolved of a run reaching the log; steps stored in one batch share its
 * interval) p50/p99 of one run alone and of 16 concurrent runs, their steps/s together, and
 * the slow-down of a run while 20,000 invalid batches in 2 s are posted with the measurement
 * service's credentials on subjects the services follow.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SIGNAL_TYPES, SUBJECTS } from '@metatwin/contracts';
import { JetStreamEventLog } from '@metatwin/eventlog';
import { killClis, serviceHealth, startCli, startNats, startServices, stopServices, type NatsServer, type ServiceProcess } from '@metatwin/test-support';
import { connect } from 'nats';

const GATES_EVOLVED = SIGNAL_TYPES.indexOf('GatesEvolved');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function percentile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? Number.NaN;
}

/** Per-step latencies (ms) from arrival times; steps arriving together share their batch's interval. */
function stepLatencies(at_ms: readonly number[]): number[] {
  const out: number[] = [];
  for (let i = 1; i < at_ms.length;) {
    let j = i;
    while (j + 1 < at_ms.length && at_ms[j + 1] === at_ms[i]) j++;
    for (let k = i; k <= j; k++) out.push((at_ms[i] - at_ms[i - 1]) / (j - i + 1));
    i = j + 1;
  }
  return out;
}

async function runXor(nats: NatsServer, seed: number, steps: number): Promise<{ run: string; wall_s: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'mt-bench-load-'));
  const r = await startCli(['run', 'xor', '--seed', String(seed), '--steps', String(steps), '--bus', nats.url, '--out', dir, '--no-report'], nats.env).within(600_000);
  if (r.code !== 0) throw new Error(`metatwin run xor --seed ${seed} exited ${String(r.code)}:\n${r.out}`);
  return JSON.parse(readFileSync(join(dir, 'result.json'), 'utf8')) as { run: string; wall_s: number };
}

export async function benchLoad(out: (s: string) => void, quick: boolean): Promise<void> {
  const steps = quick ? 600 : 1200;
  const runs = 16;
  const floodSteps = quick ? 2000 : 3000;
  const nats = await startNats();
  let services: ServiceProcess[] = [];
  const log = await JetStreamEventLog.connect({ servers: nats.url, reconnectForever: true, security: nats.security('observer') });
  const arrivals = new Map<string, number[]>();
  let following: { stop(): Promise<void> } | null = null;
  try {
    services = await startServices({ natsUrl: nats.url, natsEnv: nats.env });
    const { batches, stop } = await log.follow({ fromStreamSeq: (await log.lastStreamSequence()) + 1, accept: (s) => s.endsWith('.edge-physics') });
    const reading = (async () => {
      for await (const b of batches) {
        const now = performance.now();
        for (const r of b.records as Array<[number, number, number, { failed?: string }]>) {
          if (r[0] !== GATES_EVOLVED || r[3].failed) continue;
          const a = arrivals.get(b.runId) ?? [];
          a.push(now);
          arrivals.set(b.runId, a);
        }
      }
    })();
    following = {
      async stop() {
        await stop();
        await reading.catch(() => undefined);
      },
    };
    const stats = (ids: string[]): string => {
      const l = ids.flatMap((id) => stepLatencies(arrivals.get(id) ?? []));
      return `p50 ${percentile(l, 0.5).toFixed(2)} ms, p99 ${percentile(l, 0.99).toFixed(2)} ms`;
    };

    const alone = await runXor(nats, 1, steps);
    out(`one run alone: ${steps} steps in ${alone.wall_s.toFixed(2)} s; per-step latency ${stats([alone.run])}`);
    const t0 = performance.now();
    // Started 300 ms apart: 16 node processes cold-starting at once on two cores.
    const results = await Promise.all(Array.from({ length: runs }, async (_, k) => (await sleep(k * 300), runXor(nats, k + 1, steps))));
    const wall = (performance.now() - t0) / 1000;
    out(
      `${runs} concurrent runs of ${steps} steps: ${wall.toFixed(1)} s, ${Math.round((runs * steps) / wall).toLocaleString('en-US')} steps/s together (one alone: ${Math.round(steps / alone.wall_s).toLocaleString('en-US')}); per-step latency ${stats(results.map((r) => r.run))}`,
    );

    const quiet = await runXor(nats, 7, floodSteps);
    const before = await serviceHealth(nats.url, 'supervisor', 2000, nats.env);
    const known = new Set(arrivals.keys());
    const flooded = runXor(nats, 7, floodSteps);
    let target = '';
    while (target === '') {
      target = [...arrivals.keys()].find((r) => !known.has(r)) ?? '';
      await sleep(10);
    }
    const nc = await connect({ servers: nats.url, ...nats.connectOptions('measurement') });
    const garbage = new TextEncoder().encode('{"runId": not json at all');
    const adc = SIGNAL_TYPES.indexOf('AdcSampled');
    const f0 = performance.now();
    const count = 20_000;
    for (let s = 0, sent = 0; s < 40; s++) {
      for (let k = 0; k < count / 40; k++, sent++) {
        const seq = 1_000_000 + sent;
        const batch = { runId: target, source: 'measurement', firstSeq: seq, lastSeq: seq, records: [[adc, seq, 0, { step: 0 }]] };
        nc.publish(SUBJECTS.log(`flood-${sent % 64}`, 'measurement'), sent % 2 === 0 ? garbage : new TextEncoder().encode(JSON.stringify(batch)));
      }
      await nc.flush();
      const wait = f0 + (s + 1) * 50 - performance.now();
      if (wait > 0) await sleep(wait);
    }
    const floodS = (performance.now() - f0) / 1000;
    await nc.close();
    const got = await flooded;
    for (let i = 0; i < 100 && (await serviceHealth(nats.url, 'supervisor', 2000, nats.env)).deadLetters - before.deadLetters < count; i++) await sleep(100);
    const after = await serviceHealth(nats.url, 'supervisor', 2000, nats.env);
    const slowdown = got.wall_s / quiet.wall_s;
    out(
      `flood: ${count.toLocaleString('en-US')} invalid batches in ${floodS.toFixed(2)} s (${Math.round(count / floodS).toLocaleString('en-US')} msg/s) as the measurement service; a run of ${floodSteps} steps ${quiet.wall_s.toFixed(2)} s without, ${got.wall_s.toFixed(2)} s with: ×${slowdown.toFixed(2)}  goal ≤ ×2: ${slowdown <= 2 ? 'met' : 'missed'}; supervisor dead letters +${after.deadLetters - before.deadLetters}`,
    );
  } finally {
    killClis();
    await following?.stop();
    await log.close();
    await stopServices(services);
    await nats.stop();
  }
}
