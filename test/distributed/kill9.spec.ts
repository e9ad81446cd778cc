/**
 * Kill -9 any one service in the middle of a distributed run and start it again: the run
 * resumes from the log and completes with the gates of an uninterrupted run, learning stays
 * frozen while the service is missing, and the log holds every step exactly once with
 * contiguous sequence numbers.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SIGNAL_TYPES, SOURCES, fromRecord, type Source } from '@metatwin/contracts';
import { JetStreamEventLog } from '@metatwin/eventlog';
import type { RunResult } from '@metatwin/experiments';
import { startCli, startService } from '@metatwin/test-support';
import { servicesWithReference } from './fixture';
import { followSteps } from './follow-steps';

const STEPS = 4000;

function runCli(args: string[]): Promise<{ code: number | null; out: string }> {
  return startCli(args).done;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('kill -9 and resume', () => {
  const rig = servicesWithReference(STEPS);

  // Each service alone, and two at once.
  const cases = ['supervisor', 'edge-physics', 'clamping', 'measurement', 'edge-physics+clamping', 'supervisor+measurement'];

  it.each(cases.map((s) => [s]))('%s: killed mid-run and restarted, the run completes with the uninterrupted gates', async (which: string) => {
    const victims = which.split('+') as Source[];
    const progress = await followSteps(rig.nats.url);
    const dir = mkdtempSync(join(tmpdir(), 'mt-kill-'));
    const run = runCli(['run', 'xor', '--steps', String(STEPS), '--bus', rig.nats.url, '--out', dir, '--no-report']);
    // Measurement is only needed at test steps (1000, 2000, …): kill it far from the next one,
    // so that what stops learning is its absence, not an unread test. The others are killed
    // after the first snapshot (after step 999): a restart reads the run from there on (its
    // tail), and the edge physics takes the snapshot up.
    const killAt = which === 'measurement' ? 2050 : 1300;
    while (progress.lastStep < killAt) await sleep(20);
    for (const victim of victims) rig.services.find((s) => s.name === victim)?.process.kill('SIGKILL');
    const killedAt = progress.lastStep;
    let frozenAt = -2;
    for (let i = 0; i < 40 && frozenAt !== progress.lastStep; i++) {
      frozenAt = progress.lastStep;
      await sleep(400);
    }
    // Frozen: nothing moves for 400 ms, and at most the supervisor's window of steps already
    // sent (64) plus the presence timeout's worth of steps were applied after the kill.
    expect(progress.lastStep).toBe(frozenAt);
    expect(frozenAt - killedAt).toBeLessThan(800);
    expect(frozenAt).toBeLessThan(STEPS - 1);
    for (const victim of victims) rig.services[rig.services.findIndex((s) => s.name === victim)] = startService(victim, { natsUrl: rig.nats.url });
    const result = await run;
    await progress.stop();
    expect(result.code).toBe(0);
    const edge = rig.services.find((s) => s.name === 'edge-physics');
    if (victims.includes('edge-physics')) expect(edge?.output).toMatch(/resumed run \S+ from step \d+ \(re-driven from the snapshot after step (999|1999)\)/);
    for (const victim of victims)
      expect(rig.services.find((s) => s.name === victim)?.output).toMatch(/run \S+: read its tail from stream sequence \d+ \(after the snapshot of step (999|1999)\)/);
    const resumed = JSON.parse(readFileSync(join(dir, 'result.json'), 'utf8')) as RunResult & { run: string };
    expect(resumed.final.gates_V).toEqual(rig.reference.final.gates_V);
    expect(resumed.log.map((e) => e.outputs)).toEqual(rig.reference.log.map((e) => e.outputs));

    // The log: every step's GatesEvolved exactly once, each source's sequence numbers contiguous.
    const log = await JetStreamEventLog.connect({ servers: rig.nats.url, security: rig.nats.security('observer') });
    const steps: number[] = [];
    for (const source of SOURCES) {
      let expected = 1;
      for await (const batch of log.read(resumed.run, { source })) {
        expect(batch.firstSeq).toBe(expected);
        expected = batch.lastSeq + 1;
        if (source === 'edge-physics') {
          for (const r of batch.records) {
            const s = fromRecord(r, resumed.run, source);
            if (s.type === 'GatesEvolved') steps.push(s.data.step);
          }
        }
      }
    }
    await log.close();
    expect(steps).toEqual(Array.from({ length: STEPS }, (_, k) => k));
    expect(SIGNAL_TYPES).toContain('ServiceStarted');
    const verify = await startCli(['replay', resumed.run, '--verify', '--log', rig.nats.url]).done;
    expect(JSON.parse(verify.out).verify).toMatchObject({ complete: true, problems: [], stepsRedriven: STEPS, mismatchedSnapshots: 0 });
  });
});
