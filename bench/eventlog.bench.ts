/**
 * Event-log benchmarks (issue 10): the default `metatwin run xor` (embedded, every signal
 * recorded to the local log) — steps/s and the log's size; `metatwin runs` over 50 runs in
 * JetStream; a service's start-up with 50 finished runs in the stream against an empty one.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Signal } from '@metatwin/contracts';
import { ThreadedJetStreamEventLog } from '@metatwin/eventlog';
import { LogRecorder, catalogueEnd, runEmbedded, runEntry } from '@metatwin/services';
import { REPO_ROOT as root, serviceHealth, startNats, startService, stopServices, type NatsServer } from '@metatwin/test-support';
import { xorExperiment } from './experiments.bench';

function dirBytes(dir: string): number {
  let n = 0;
  for (const f of readdirSync(dir, { withFileTypes: true })) n += f.isDirectory() ? dirBytes(join(dir, f.name)) : statSync(join(dir, f.name)).size;
  return n;
}

/** Wall time from spawning one service to its first health answer (its recovery happens before it listens). */
async function startUp_s(nats: NatsServer, service: 'measurement' | 'edge-physics' = 'measurement'): Promise<number> {
  const t0 = performance.now();
  const svc = startService(service, { natsUrl: nats.url });
  try {
    for (;;) {
      if (
        await serviceHealth(nats.url, service, 500).then(
          (h) => h.ok,
          () => false,
        )
      )
        return (performance.now() - t0) / 1000;
      if (svc.process.exitCode !== null) throw new Error(`${service} exited:\n${svc.output}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  } finally {
    await stopServices([svc]);
  }
}

export async function benchEventLog(out: (s: string) => void, quick: boolean): Promise<void> {
  // The default command, as a user runs it.
  const dir = mkdtempSync(join(tmpdir(), 'mt-bench-log-'));
  const steps = quick ? 20_000 : 100_000;
  const r = spawnSync(process.execPath, [join(root, 'bin', 'metatwin.js'), 'run', 'xor', '--steps', String(steps), '--out', dir, '--no-report'], {
    env: { ...process.env, METATWIN_LOG_DIR: join(dir, 'log') },
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`metatwin run xor failed: ${r.stderr}`);
  const wall = (JSON.parse(readFileSync(join(dir, 'result.json'), 'utf8')) as { wall_s: number }).wall_s;
  const mb = dirBytes(join(dir, 'log')) / 1e6;
  out(
    `metatwin run xor (embedded, every signal to the local log), ${steps.toLocaleString('en-US')} steps: ${Math.round(steps / wall).toLocaleString('en-US')} steps/s, log ${mb.toFixed(1)} MB; goals ≥ 100,000 steps/s: ×${(steps / wall / 1e5).toFixed(2)}, ≤ 5 MB: ×${(mb / 5).toFixed(1)}`,
  );

  // 50 finished runs in JetStream, recorded as the CLI records them (catalogue entries included).
  const nats = await startNats();
  try {
    const empty_s = await startUp_s(nats);
    const log = await ThreadedJetStreamEventLog.connect({ servers: nats.url, security: nats.security('recorder') });
    const exp = xorExperiment(quick ? 500 : 2000);
    for (let i = 0; i < 50; i++) {
      const runId = `bench-run-${i}`;
      await log.putEntry(runEntry(runId, { experiment: exp, mode: 'embedded', status: 'running', steps: 0 }, Date.now(), process.pid));
      const recorder = new LogRecorder(log, null, 4096);
      const result = await runEmbedded(exp, { runId, recorder });
      await recorder.flush();
      await catalogueEnd(log, runId, { experiment: exp, mode: 'embedded', status: 'finished', steps: result.steps }, Date.now());
    }
    await log.close();
    const t0 = performance.now();
    const runs = spawnSync(process.execPath, [join(root, 'bin', 'metatwin.js'), 'runs', '--log', nats.url, '--json'], { encoding: 'utf8', env: { ...process.env, ...nats.env } });
    const runs_s = (performance.now() - t0) / 1000;
    if (runs.status !== 0) throw new Error(`metatwin runs failed: ${runs.stderr}`);
    const listed = (JSON.parse(runs.stdout) as unknown[]).length;
    out(`metatwin runs over ${listed} runs in JetStream (whole command, node start-up included): ${runs_s.toFixed(2)} s; goal < 1 s: ×${runs_s.toFixed(2)}`);
    const full_s = await startUp_s(nats);
    out(
      `service start-up (spawn to first health answer) with 50 finished runs in the stream: ${full_s.toFixed(2)} s (empty stream: ${empty_s.toFixed(2)} s); goal < 2 s: ×${(full_s / 2).toFixed(2)}`,
    );
    // What a restart after a kill reads and re-drives: one run of 100,000 steps whose end is
    // not in the log (RunFinished left out), to be taken on again from its latest snapshot.
    const steps = quick ? 20_000 : 100_000;
    const unfinished = xorExperiment(steps);
    const again = await ThreadedJetStreamEventLog.connect({ servers: nats.url, security: nats.security('recorder') });
    await again.putEntry(runEntry('bench-unfinished', { experiment: unfinished, mode: 'distributed', status: 'running', steps: 0 }, Date.now(), process.pid));
    const recorder = new LogRecorder(again, null, 16384);
    const withoutEnd = {
      record: (sig: Signal): void => {
        if (sig.type !== 'RunFinished') recorder.record(sig);
      },
      flush: (o?: { maxInFlight?: number }): Promise<void> => recorder.flush(o),
    };
    await runEmbedded(unfinished, { runId: 'bench-unfinished', recorder: withoutEnd });
    await recorder.flush();
    await again.close();
    const edge_s = await startUp_s(nats, 'edge-physics');
    out(
      `edge-physics start-up with those and one unfinished ${steps.toLocaleString('en-US')}-step run to take on again (its tail read, re-driven from its latest snapshot): ${edge_s.toFixed(2)} s`,
    );
  } finally {
    await nats.stop();
  }
}
