import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SIGNAL_TYPES, decodeFloat64, encodeFloat64 } from '@metatwin/contracts';
import { FileEventLog, type EventLog, type LogBatch } from '@metatwin/eventlog';
import { planFromInput, type Experiment } from '@metatwin/experiments';
import { runEmbedded } from './embedded';
import { LogRecorder } from './recorder';
import { replayAt, verifyRun } from './replay';

function xor(steps: number, snapshotEvery = 700): Experiment {
  const plan = planFromInput({ preset: 'xor', schedule: { testEvery: 500, snapshotEvery } }, { steps }, { readText: () => '' });
  if (plan.kind !== 'run') throw new Error('not a run');
  return plan.experiment;
}

describe('event log, replay and verify', () => {
  const dir = mkdtempSync(join(tmpdir(), 'metatwin-log-'));

  it('records every signal, replays the state at any test time from the nearest snapshot, and verifies with zero difference', async () => {
    const log = await FileEventLog.open(dir);
    const recorder = new LogRecorder(log, null, 1000);
    const live = await runEmbedded(xor(3000), { runId: 'replay-1', recorder });
    await recorder.flush();
    expect(await log.runIds()).toContain('replay-1');
    const redrivenFrom = new Set<number | null>();
    for (const entry of live.log) {
      const state = await replayAt(log, 'replay-1', entry.t_s);
      expect(state.stepsApplied).toBe(entry.step);
      expect(state.gates_V).toEqual(entry.gates_V);
      redrivenFrom.add(state.redrivenFrom);
    }
    // Tests every 500 steps, snapshots after steps 699, 1399, 2099, 2799 and 2999: the test at 1500
    // is re-driven from 1399's snapshot, the one at 500 from the start.
    expect(redrivenFrom).toContain(-1);
    expect(redrivenFrom).toContain(1399);
    const end = await replayAt(log, 'replay-1');
    expect(end).toMatchObject({ status: 'finished', redrivenFrom: null });
    expect(end.gates_V).toEqual(live.final.gates_V);
    const report = await verifyRun(log, 'replay-1');
    expect(report).toMatchObject({ stepsRedriven: 3000, snapshotsCompared: 5, mismatchedSnapshots: 0, complete: true });
    await log.close();
  }, 60_000);

  it('verify notices a tampered gate', async () => {
    const log = await FileEventLog.open(dir);
    const recorder = new LogRecorder(log, null, 100000);
    await runEmbedded(xor(200, 50), { runId: 'replay-2', recorder });
    await recorder.flush();
    await log.close();
    // Rewrite the log with one gate changed by a hair.
    const reopened = await FileEventLog.open(dir);
    const batches = [];
    for await (const b of reopened.read('replay-2')) batches.push(b);
    const tampered = await FileEventLog.open(mkdtempSync(join(tmpdir(), 'metatwin-log-')));
    for (const b of batches) {
      const records = b.records.map((r: unknown) => {
        const [type, seq, t, data] = r as [number, number, number, { step: number; gates: string }];
        if (SIGNAL_TYPES[type] !== 'StateSnapshot' || data.step !== 149) return r;
        const g = decodeFloat64(data.gates);
        g[4] += 1e-12;
        return [type, seq, t, { ...data, gates: encodeFloat64(g) }];
      });
      await tampered.append({ ...b, records });
    }
    const report = await verifyRun(tampered, 'replay-2');
    expect(report.mismatchedSnapshots).toBe(1);
    expect(report.first).toMatchObject({ step: 149, index: 4, what: 'gate' });
    await reopened.close();
    await tampered.close();
  }, 60_000);
});

describe('a log of another contract version', () => {
  it('is refused by name, not misread (records are typed by index)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'metatwin-v1-'));
    const log = await FileEventLog.open(dir);
    const v1 = { experiment: xor(10), mode: 'embedded' }; // contract 1's RunCreated carried no number
    await log.append({ runId: 'old-run', source: 'supervisor', firstSeq: 1, lastSeq: 1, records: [[SIGNAL_TYPES.indexOf('RunCreated'), 1, 0, v1]] });
    await expect(replayAt(log, 'old-run')).rejects.toThrow(/run old-run was recorded in contract version 1; this metatwin reads versions 2, 3, 4 and 5/);
    await expect(verifyRun(log, 'old-run')).rejects.toThrow(/contract version 1/);
    await log.close();
  });
});

describe('verify checks the log is complete', () => {
  /** A run's batches as the log stored them, served back with `change` applied (a damaged log). */
  async function damaged(change: (batches: LogBatch[]) => LogBatch[]): Promise<Awaited<ReturnType<typeof verifyRun>>> {
    const stored: LogBatch[] = [];
    const capture: EventLog = {
      append: async (b) => void stored.push(b),
      read: async function* () {
        for (const b of change(stored)) yield b;
      },
      lastSequence: async () => 0,
      runIds: async () => ['gap-run'],
      putEntry: async () => undefined,
      entries: async () => [],
      footprints: async () => new Map(),
      deleteRun: async () => undefined,
      close: async () => undefined,
    };
    const recorder = new LogRecorder(capture, null, 500);
    await runEmbedded(xor(1200), { runId: 'gap-run', recorder });
    await recorder.flush();
    return verifyRun(capture, 'gap-run');
  }

  it('passes an intact log', async () => {
    const report = await damaged((b) => b);
    expect(report).toMatchObject({ complete: true, problems: [], mismatchedSnapshots: 0 });
  }, 60_000);

  it('names the missing sequence numbers and steps when a middle batch of the edge physics is gone', async () => {
    const report = await damaged((batches) => {
      const edge = batches.filter((b) => b.source === 'edge-physics');
      const middle = edge[Math.floor(edge.length / 2)];
      return batches.filter((b) => b !== middle);
    });
    expect(report.complete).toBe(false);
    expect(report.problems.some((p) => /^edge-physics: sequence numbers \d+\.\.\d+ are missing$/.test(p))).toBe(true);
    expect(report.problems.some((p) => /^GatesEvolved of \d+ step\(s\) missing: /.test(p))).toBe(true);
  }, 60_000);

  it('names sequence numbers used twice and steps logged twice', async () => {
    const report = await damaged((batches) => {
      const edge = batches.filter((b) => b.source === 'edge-physics');
      return [...batches, edge[1]];
    });
    expect(report.complete).toBe(false);
    expect(report.problems.some((p) => /^edge-physics: sequence numbers \d+\.\.\d+ are used twice$/.test(p))).toBe(true);
    expect(report.problems.some((p) => /^GatesEvolved of \d+ step\(s\) logged more than once: /.test(p))).toBe(true);
  }, 60_000);

  it('names a snapshot the log lacks', async () => {
    const report = await damaged((batches) =>
      batches.map((b) => ({
        ...b,
        records: b.records.map((r) => {
          const [type, seq, t, data] = r as [number, number, number, { step: number }];
          // The snapshot after step 699 relabelled as one after 700: 699's is then missing.
          return SIGNAL_TYPES[type] === 'StateSnapshot' && data.step === 699 ? [type, seq, t, { ...data, step: 700 }] : r;
        }),
      })),
    );
    expect(report.complete).toBe(false);
    expect(report.problems).toContain('StateSnapshot after 1 step(s) missing: 699');
  }, 60_000);
});
