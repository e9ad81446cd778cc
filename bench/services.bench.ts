/**
 * Service benchmarks (issue 4): distributed steps/s (four service processes over NATS),
 * embedded steps/s with every signal recorded to JetStream against the same run unrecorded,
 * and replay of a 100,000-step run from the JetStream log.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JSONCodec, connect } from 'nats';
import { SOURCES, SUBJECTS } from '@metatwin/contracts';
import { ThreadedJetStreamEventLog } from '@metatwin/eventlog';
import { planFromInput, presetInput, type Experiment } from '@metatwin/experiments';
import { LogRecorder, replayAt, runEmbedded } from '@metatwin/services';
import { startNats } from '@metatwin/test-support';

const root = join(__dirname, '..', '..');

function xor(steps: number): Experiment {
  const plan = planFromInput(presetInput('xor'), { steps }, { readText: () => '' });
  if (plan.kind !== 'run') throw new Error('xor is a single run');
  return plan.experiment;
}

async function waitHealthy(url: string, name: string): Promise<void> {
  const nc = await connect({ servers: url });
  const codec = JSONCodec();
  try {
    for (let i = 0; i < 300; i++) {
      try {
        const subject = SUBJECTS.health(name as never);
        await nc.request(subject, codec.encode({ pattern: subject, data: {}, id: 'bench' }), { timeout: 500 });
        return;
      } catch {
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    throw new Error(`${name} did not come up`);
  } finally {
    await nc.close();
  }
}

export async function benchServices(out: (s: string) => void, quick: boolean): Promise<void> {
  const nats = await startNats();
  const children: ChildProcess[] = [];
  try {
    for (const name of SOURCES) children.push(spawn(process.execPath, [join(root, 'bin', 'serve.js'), name], { env: { ...process.env, METATWIN_NATS_URL: nats.url }, stdio: 'ignore' }));
    for (const name of SOURCES) await waitHealthy(nats.url, name);
    const steps = quick ? 3000 : 10_000;
    const dir = mkdtempSync(join(tmpdir(), 'mt-bench-'));
    const r = spawnSync(process.execPath, [join(root, 'bin', 'metatwin.js'), 'run', 'xor', '--steps', String(steps), '--bus', nats.url, '--out', dir, '--no-report'], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`distributed run failed: ${r.stderr}`);
    const wall = (JSON.parse(readFileSync(join(dir, 'result.json'), 'utf8')) as { wall_s: number }).wall_s;
    out(`distributed xor (4 service processes + nats-server + client, one machine): ${steps} steps in ${wall.toFixed(2)} s = ${Math.round(steps / wall).toLocaleString('en-US')} steps/s; goal ≥ 1,000: ×${(steps / wall / 1000).toFixed(2)}`);
  } finally {
    for (const c of children) c.kill('SIGTERM');
  }

  const recSteps = quick ? 20_000 : 100_000;
  const exp = xor(recSteps);
  const clock = (): number => performance.now() / 1000;
  const plain = await runEmbedded(exp, { runId: 'bench-plain', clock });
  // As `metatwin run --record nats://…` records: appends on a worker thread.
  const log = await ThreadedJetStreamEventLog.connect({ servers: nats.url });
  const recorder = new LogRecorder(log, null, 4096);
  const t0 = clock();
  const recorded = await runEmbedded(exp, { runId: 'bench-recorded', clock, recorder });
  await recorder.flush();
  const recordedWall = clock() - t0;
  out(`embedded xor over the in-process bus, ${recSteps.toLocaleString('en-US')} steps: ${plain.wall_s.toFixed(2)} s unrecorded, ${recordedWall.toFixed(2)} s with all ${recorder.recorded.toLocaleString('en-US')} signals recorded to JetStream = ×${(recordedWall / plain.wall_s).toFixed(2)}; goal ≤ ×2`);
  void recorded;
  const t1 = clock();
  const state = await replayAt(log, 'bench-recorded');
  out(`replay of the ${recSteps.toLocaleString('en-US')}-step run's final state from JetStream: ${(clock() - t1).toFixed(2)} s (${state.stepsApplied} steps folded); goal < 2 s`);
  await log.close();
  await nats.stop();
}
