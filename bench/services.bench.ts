/**
 * Service benchmarks (issues 4, 10): distributed steps/s (four service processes over NATS, log-first delivery through JetStream),
 * embedded steps/s with every signal recorded to JetStream against the same run unrecorded,
 * and replay of a 100,000-step run from the JetStream log.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ThreadedJetStreamEventLog } from '@metatwin/eventlog';
import { LogRecorder, replayAt, runEmbedded } from '@metatwin/services';
import { REPO_ROOT as root, startNats, startServices, stopServices, type ServiceProcess } from '@metatwin/test-support';
import { xorExperiment } from './experiments.bench';

export async function benchServices(out: (s: string) => void, quick: boolean): Promise<void> {
  const nats = await startNats();
  let services: ServiceProcess[] = [];
  try {
    services = await startServices({ natsUrl: nats.url });
    const steps = quick ? 3000 : 10_000;
    const dir = mkdtempSync(join(tmpdir(), 'mt-bench-'));
    const r = spawnSync(process.execPath, [join(root, 'bin', 'metatwin.js'), 'run', 'xor', '--steps', String(steps), '--bus', nats.url, '--out', dir, '--no-report'], {
      encoding: 'utf8',
      env: { ...process.env, ...nats.env },
    });
    if (r.status !== 0) throw new Error(`distributed run failed: ${r.stderr}`);
    const wall = (JSON.parse(readFileSync(join(dir, 'result.json'), 'utf8')) as { wall_s: number }).wall_s;
    out(
      `distributed xor (4 service processes + nats-server + client, one machine): ${steps} steps in ${wall.toFixed(2)} s = ${Math.round(steps / wall).toLocaleString('en-US')} steps/s; goal ≥ 1,000: ×${(steps / wall / 1000).toFixed(2)} (before log-first delivery, over core NATS: 1,976)`,
    );
  } finally {
    await stopServices(services);
  }

  const recSteps = quick ? 20_000 : 100_000;
  const exp = xorExperiment(recSteps);
  const clock = (): number => performance.now() / 1000;
  // As `metatwin run --record nats://…` records: appends on a worker thread. Alternated three
  // times: on this shared 2-core machine single runs vary by tens of percent.
  const log = await ThreadedJetStreamEventLog.connect({ servers: nats.url, security: nats.security('recorder') });
  const plain: number[] = [];
  const recordedWall: number[] = [];
  let signals = 0;
  for (let round = 0; round < (quick ? 1 : 3); round++) {
    plain.push((await runEmbedded(exp, { runId: `bench-plain-${round}`, clock })).wall_s);
    const recorder = new LogRecorder(log, null, 16384);
    const t0 = clock();
    await runEmbedded(exp, { runId: `bench-recorded-${round}`, clock, recorder });
    await recorder.flush();
    recordedWall.push(clock() - t0);
    signals = recorder.recorded;
  }
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
  const list = (xs: number[]): string => xs.map((x) => x.toFixed(2)).join(' / ');
  out(
    `embedded xor over the in-process bus, ${recSteps.toLocaleString('en-US')} steps: ${list(plain)} s unrecorded, ${list(recordedWall)} s with all ${signals.toLocaleString('en-US')} signals recorded to JetStream; medians ×${(median(recordedWall) / median(plain)).toFixed(2)}; goal ≤ ×2`,
  );
  const t1 = clock();
  const state = await replayAt(log, 'bench-recorded-0');
  out(`replay of the ${recSteps.toLocaleString('en-US')}-step run's final state from JetStream: ${(clock() - t1).toFixed(2)} s (${state.stepsApplied} steps folded); goal < 1 s`);
  await log.close();
  await nats.stop();
}
