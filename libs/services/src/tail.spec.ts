/**
 * Reading a run's tail (tail.ts) against reading all of it: for kills at several points of a
 * run, every service recovered from its tail is in the state it is in when recovered from the
 * whole log, and does the same with what follows. The log is the run's signals in the order
 * they were published (a stream's storage order), each stretch from one source one batch.
 */
import { toRecord, type Signal, type Source } from '@metatwin/contracts';
import type { LogBatch, PositionedBatch, PositionedLog } from '@metatwin/eventlog';
import { planFromInput, type Experiment } from '@metatwin/experiments';
import { runEmbedded } from './embedded';
import { createHost, type AnyHost } from './factory';
import { mergeCausal } from './recorder';
import { recoverRun } from './recovery';
import { readRunTail } from './tail';

const RUN = 'tail-run';
const SNAPSHOT_EVERY = 500;

function xor(steps: number): Experiment {
  const plan = planFromInput({ preset: 'xor' }, { steps }, { readText: () => '' });
  if (plan.kind !== 'run') throw new Error('not a run');
  return { ...plan.experiment, schedule: { ...plan.experiment.schedule, snapshotEvery: SNAPSHOT_EVERY, testEvery: 300 } };
}

/** A run's stored prefix, as a log with positions (1, 2, 3, … in storage order). */
class StoredPrefix implements PositionedLog {
  readonly batches: LogBatch[] = [];
  constructor(signals: ReadonlyArray<Signal>) {
    for (const s of signals) {
      const last = this.batches[this.batches.length - 1];
      if (last?.source === s.meta.source) this.batches[this.batches.length - 1] = { ...last, lastSeq: s.meta.seq, records: [...last.records, toRecord(s)] };
      else this.batches.push({ runId: RUN, source: s.meta.source, firstSeq: s.meta.seq, lastSeq: s.meta.seq, records: [toRecord(s)] });
    }
  }
  async batchAtOrAfter(_run: string, source: string, position: number): Promise<PositionedBatch | null> {
    for (let i = Math.max(1, position) - 1; i < this.batches.length; i++) if (this.batches[i].source === source) return { batch: this.batches[i], position: i + 1 };
    return null;
  }
  async lastBatch(_run: string, source: string): Promise<PositionedBatch | null> {
    for (let i = this.batches.length - 1; i >= 0; i--) if (this.batches[i].source === source) return { batch: this.batches[i], position: i + 1 };
    return null;
  }
  async *readFrom(_run: string, position: number): AsyncIterable<LogBatch> {
    yield* this.batches.slice(position - 1);
  }
}

/** What readRunSignals gives for the whole prefix. */
function wholeLog(prefix: ReadonlyArray<Signal>): Signal[] {
  const bySource = new Map<string, Signal[]>();
  for (const s of prefix) bySource.set(s.meta.source, [...(bySource.get(s.meta.source) ?? []), s]);
  return mergeCausal([...bySource.values()]);
}

/**
 * States with their maps and sets written out, the port's state included for the edge; what
 * the tail need not know is left out, as it makes no difference to what follows:
 * - the supervisor's tests finished before the step acknowledged (it counts them done either way);
 * - between steps, the edge's datapoint and input voltages and the clamp's current step
 *   (the next step's StepStarted and DacWritten set them anew; a tail that starts right after
 *   a step has not read that step's), and the clamp's labels of steps already answered.
 */
function stateOf(host: AnyHost): string {
  const port = host.source === 'edge-physics' ? (host.portOf(RUN) as { snapshot?: () => unknown } | undefined) : undefined;
  const state = host.stateOf(RUN) as unknown as Record<string, unknown>;
  const comparable = { ...state };
  if (state.finishedTests instanceof Set) {
    const acknowledged = state.acknowledged as number;
    comparable.finishedTests = [...(state.finishedTests as Set<number>)].filter((t) => t >= acknowledged);
  }
  if (host.source === 'edge-physics' && state.inFlight === null) {
    comparable.datapoint = undefined;
    comparable.held_V = (state.held_V as number[]).slice(xor(1).roles.inputs.length); // inputs, then rails
  }
  if (host.source === 'clamping') {
    const answered = state.answered as number;
    comparable.currentStep = undefined;
    comparable.labels = (state.labels as Array<[number, number]>).filter(([step]) => step > answered);
  }
  return JSON.stringify({ state: comparable, port: port?.snapshot?.() }, (_k, v: unknown) =>
    v instanceof Map ? [...v] : v instanceof Set ? [...v] : v instanceof Float64Array ? [...v] : v,
  );
}

let signals: Signal[] = [];

beforeAll(async () => {
  await runEmbedded(xor(2200), { runId: RUN, onSignal: (s) => signals.push(s) });
});

describe('a run read from its tail', () => {
  const cuts: Array<[string, (s: Signal) => boolean]> = [
    ['right after the snapshot of step 1499', (s) => s.type === 'StateSnapshot' && s.data.step === 1499],
    ['mid-way (step 1700 sent)', (s) => s.type === 'StepStarted' && s.data.step === 1700],
    ['during a test (step 1800)', (s) => s.type === 'TestDatapointApplied' && s.data.step === 1800],
    ['after the clamp answered step 1999, before the snapshot', (s) => s.type === 'ClampOutputSet' && s.data.step === 1999],
  ];
  it.each(cuts)('killed %s: every service recovers to the same state as from the whole log, and goes on the same', async (_name, at) => {
    const cut = signals.findIndex(at) + 1;
    expect(cut).toBeGreaterThan(0);
    const prefix = signals.slice(0, cut);
    const log = new StoredPrefix(prefix);
    const tail = await readRunTail(log, RUN);
    if (tail === null) throw new Error('no tail');
    const whole = wholeLog(prefix);
    expect(tail.afterStep % SNAPSHOT_EVERY).toBe(SNAPSHOT_EVERY - 1);
    expect(tail.signals.length).toBeLessThan(whole.length / 2);
    expect(tail.batchesRead).toBeLessThan(log.batches.length / 2);
    for (const source of ['supervisor', 'edge-physics', 'clamping', 'measurement'] as Source[]) {
      const lastSeq = Math.max(0, ...prefix.filter((s) => s.meta.source === source).map((s) => s.meta.seq));
      const outputs: string[][] = [[], []];
      const hosts = [0, 1].map((i) => createHost(source, { publish: (s) => outputs[i].push(JSON.stringify(s)), supervisor: { window: 16, autoPump: true } }));
      const recovered = [recoverRun(hosts[0], whole, lastSeq), recoverRun(hosts[1], tail.signals, lastSeq, tail.afterStep)];
      expect({ source, ...recovered[1], redrivenFrom: undefined }).toEqual({ source, ...recovered[0], redrivenFrom: undefined });
      expect(stateOf(hosts[1])).toEqual(stateOf(hosts[0]));
      // What follows the kill, as the others sent it, to the run's end. (A restarted edge waits
      // for the supervisor to send its step again, which this does not: its state tells.)
      for (const s of signals.slice(cut)) for (const h of hosts) if (s.meta.source !== source) h.handle(s);
      if (source !== 'edge-physics') expect({ source, outputs: outputs[0].length > 0 }).toEqual({ source, outputs: true });
      expect(outputs[1]).toEqual(outputs[0]);
    }
  });

  it('falls back to an earlier snapshot when a later one lacks the barrier, and is null when none has it (the whole run is read)', async () => {
    /** The log as if the supervisor had sent step `step` before the edge's batch about the snapshotted step before it. */
    const withoutBarrier = (log: ReadonlyArray<Signal>, step: number): Signal[] => {
      const sent = log.findIndex((s) => s.type === 'StepStarted' && s.data.step === step);
      const stepSignals = log.slice(
        sent,
        log.findIndex((s, i) => i > sent && s.meta.source !== 'supervisor'),
      );
      const reached = log.findIndex((s) => s.meta.source === 'edge-physics' && (s.data as { step?: number }).step === step - 1);
      const rest = (from: number, to?: number): Signal[] => log.slice(from, to).filter((s) => !stepSignals.includes(s));
      return [...rest(0, reached), ...stepSignals, ...rest(reached)];
    };
    const prefix = signals.slice(
      0,
      signals.findIndex((s) => s.type === 'StepStarted' && s.data.step === 1600),
    );
    expect((await readRunTail(new StoredPrefix(prefix), RUN))?.afterStep).toBe(1499);
    const once = withoutBarrier(prefix, 1500);
    expect((await readRunTail(new StoredPrefix(once), RUN))?.afterStep).toBe(999);
    expect(await readRunTail(new StoredPrefix(withoutBarrier(once, 1000)), RUN)).toBeNull();
  });

  it('finds the tail when the edge restarted last: its newest batches are about no step (ServiceStarted, PortBound)', async () => {
    const prefix = signals.slice(
      0,
      signals.findIndex((s) => s.type === 'StepStarted' && s.data.step === 1300),
    );
    const lastSeq = Math.max(...prefix.filter((s) => s.meta.source === 'edge-physics').map((s) => s.meta.seq));
    const meta = { ...prefix[0].meta, source: 'edge-physics' as const, t_ns: 0 };
    const restarted: Signal[] = [
      ...prefix,
      { type: 'PortBound', meta: { ...meta, seq: lastSeq + 1 }, data: { service: 'edge-physics', adapter: 'sim' } },
      { type: 'ServiceStarted', meta: { ...meta, seq: lastSeq + 2 }, data: { service: 'edge-physics', resumeFrom: 1300 } },
    ];
    // Each a batch of its own, as a restarted service stores them.
    const log = new StoredPrefix(restarted);
    const last = log.batches.pop();
    if (last === undefined) throw new Error('no batches');
    log.batches.push({ ...last, lastSeq: last.firstSeq, records: last.records.slice(0, 1) }, { ...last, firstSeq: last.lastSeq, records: last.records.slice(1) });
    expect((await readRunTail(log, RUN))?.afterStep).toBe(999);
  });

  it('is null for a run too short to have a snapshot', async () => {
    const cut = signals.findIndex((s) => s.type === 'StepStarted' && s.data.step === 300);
    expect(await readRunTail(new StoredPrefix(signals.slice(0, cut)), RUN)).toBeNull();
  });
});
