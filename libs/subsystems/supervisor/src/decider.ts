/**
 * The supervisor's logic (the Arduino's program, paper Fig. 9C and Appendix E.3), pure.
 * Before the run it sets the patch map, the potentiometer (η) and the rails; each training
 * step it writes the datapoint's inputs and label to the DAC and pulses learn-enable for
 * t_h; at test steps, learning frozen, it applies each datapoint and selects the output
 * nodes on the demux for the ADC.
 *
 * Flow control: at most `window` training steps are outstanding (sent but not yet
 * acknowledged by GatesEvolved). The edge physics applies signals strictly in order, so
 * the window only bounds how far the supervisor runs ahead; results do not depend on it.
 * The supervisor never sends a step past a test that is not read out yet, nor the first
 * step after one the edge snapshots (every schedule.snapshotEvery steps) before the edge has
 * applied it: so everything about later steps is stored after that step's acknowledgement,
 * and a restarting service can read the log from there on (the run's tail), not from step 0.
 */
import {
  DEFAULT_SNAPSHOT_EVERY,
  LATER as LATER_,
  NO_OUTPUT as NO_OUTPUT_,
  call as call_,
  emit as emit_,
  outputCount,
  stepTime_ns,
  trainingPointCount,
  type Decider,
  type Experiment,
  type Output,
  type Signal,
  type Source,
} from '@metatwin/contracts';
import type { PatchTarget } from './dac';
import type { DacRequest, SupervisorCall, SupervisorResult } from './port';
import { datapointAt, lowerBound, testSteps } from './schedule';
import { outputAddresses, patchMap } from './wiring';

// Bound once: compiled re-exports are getters, and these run on every training step.
const LATER: typeof LATER_ = LATER_;
const NO_OUTPUT = NO_OUTPUT_;
const call = call_;
const emit = emit_;

export interface SupervisorOptions {
  /** Training steps sent ahead of the edge's acknowledgements. */
  readonly window: number;
  /** Send more steps as acknowledgements arrive (services); an embedded runner pumps itself. */
  readonly autoPump: boolean;
  /**
   * With autoPump, refill the window only once at most this many steps are outstanding
   * (default: the window, i.e. at every acknowledgement). Services refill at half the
   * window, so each stored message carries many steps instead of one.
   */
  readonly refillBelow?: number;
}

/**
 * What the host tells the supervisor: send what the window allows; a user cancels the run
 * (nothing more is sent; steps already sent still complete); a cancelled or interrupted run
 * goes on (after the host rebuilt it from the log).
 */
export type SupervisorCommand = { readonly type: 'Pump' } | { readonly type: 'Cancel'; readonly reason: string } | { readonly type: 'Resume' };

export type SupervisorInput = SupervisorResult | SupervisorCommand;

interface Wiring {
  readonly exp: Experiment;
  readonly targets: ReadonlyArray<PatchTarget>;
  /** Per datapoint, the DAC writes of a training step (inputs, then the label lines) and of a test (inputs). */
  readonly trainWrites: ReadonlyArray<ReadonlyArray<DacRequest>>;
  readonly testWrites: ReadonlyArray<ReadonlyArray<DacRequest>>;
  /** Training draws from the leading datapoints; the rest are held out (tested only). */
  readonly trainingPoints: number;
  readonly tests: ReadonlyArray<number>;
  readonly t_h_ns: number;
  readonly addresses: ReadonlyArray<number>;
  /** The edge snapshots after step k when (k + 1) % snapshotEvery === 0. */
  readonly snapshotEvery: number;
}

export interface SupervisorState {
  readonly wiring: Wiring;
  readonly phase: 'created' | 'running' | 'ended';
  /** Next training step to send. */
  readonly nextStep: number;
  /** Training steps acknowledged by GatesEvolved. */
  readonly acknowledged: number;
  /** Test steps sent whose samples are not all in: step → sample keys still expected. */
  readonly openTests: ReadonlyMap<number, ReadonlySet<string>>;
  /** Tests whose every sample arrived. */
  readonly finishedTests: ReadonlySet<number>;
  /** Services known to be missing: nothing new is sent while any is (learning frozen). */
  readonly missing: ReadonlyArray<Source>;
  readonly failure: string | null;
}

type Out = Output<SupervisorCall>;

const sampleKey = (datapoint: number, address: number): string => `${datapoint}:${address}`;

export function supervisorDecider(options: SupervisorOptions): Decider<SupervisorState, SupervisorInput, SupervisorCall> {
  const { window, autoPump } = options;
  const refillBelow = options.refillBelow ?? window;

  /** A test at step t is over when read out, or when the edge has applied step t (it never passes an open test). */
  const testDone = (s: SupervisorState, t: number): boolean => s.finishedTests.has(t) || t < s.acknowledged;

  const stepOutputs = (s: SupervisorState, step: number, out: Out[]): void => {
    const { exp, t_h_ns } = s.wiring;
    const d = datapointAt(exp.schedule, exp.seed, step, s.wiring.trainingPoints);
    const t = step * t_h_ns;
    out.push(emit('StepStarted', t, { step, datapoint: d }), call({ op: 'driveStep', t_ns: t, step, writes: s.wiring.trainWrites[d], duration_ns: t_h_ns }));
  };

  const testOutputs = (s: SupervisorState, step: number, out: Out[]): void => {
    const t = step * s.wiring.t_h_ns;
    out.push(emit('TestStepStarted', t, { step }));
    s.wiring.testWrites.forEach((writes, datapoint) => out.push(call({ op: 'writeDac', t_ns: t, writes, purpose: { kind: 'test', step, datapoint } })));
  };

  /** Steps and tests the window allows now, then RunFinished when everything is in. */
  const pump = (s: SupervisorState, out: Out[]): Out[] => {
    if (s.phase === 'ended' || s.failure !== null || s.missing.length > 0) return out;
    const { tests } = s.wiring;
    const steps = s.wiring.exp.schedule.steps;
    const pushed = out.length;
    let next = s.nextStep;
    while (next - s.acknowledged < window) {
      // The snapshot barrier: step `next` waits for the acknowledgement of the snapshotted step before it.
      if (next % s.wiring.snapshotEvery === 0 && next > s.acknowledged) break;
      const test = tests[lowerBound(tests, next)];
      if (test === next && !testDone(s, test)) {
        if (!s.openTests.has(test)) testOutputs(s, test, out);
        break; // learning stays frozen until the test is read out
      }
      if (next >= steps) break;
      stepOutputs(s, next++, out);
    }
    if (out.length === pushed && s.acknowledged >= steps && s.openTests.size === 0 && tests.every((t) => testDone(s, t))) {
      out.push(emit('RunFinished', steps * s.wiring.t_h_ns, { steps }));
    }
    return out;
  };

  const setup = (s: SupervisorState, out: Out[]): void => {
    const { exp, targets } = s.wiring;
    out.push(emit('PatchMapSet', 0, { channels: targets.map((t) => (t.kind === 'node' ? { kind: 'node', node: t.node } : { kind: 'label', output: t.output })) }));
    if (exp.clamp.kind === 'coupled' || exp.clamp.kind === 'differential') out.push(call({ op: 'setPotentiometer', t_ns: 0, eta: exp.clamp.eta }));
    const rails = exp.roles.rails.map((r, i) => ({ channel: exp.roles.inputs.length + i, volts: r.volts }));
    out.push(call({ op: 'writeDac', t_ns: 0, writes: rails, purpose: { kind: 'setup' } }));
  };

  const abort = (s: SupervisorState, t_ns: number, step: number, reason: string): ReadonlyArray<Out> =>
    s.phase === 'ended' ? NO_OUTPUT : [emit('RunAborted', t_ns, { reason, step })];

  const evolve = (s: SupervisorState, sig: Signal): SupervisorState => {
    switch (sig.type) {
      case 'PatchMapSet':
        return s.phase === 'created' ? { ...s, phase: 'running' } : s;
      case 'StepStarted':
        return next(s, sig.data.step + 1, s.acknowledged);
      case 'TestStepStarted': {
        const expected = new Set(s.wiring.exp.dataset.inputs.flatMap((_, d) => s.wiring.addresses.map((a) => sampleKey(d, a))));
        return { ...s, openTests: new Map(s.openTests).set(sig.data.step, expected) };
      }
      case 'AdcSampled': {
        const left = s.openTests.get(sig.data.step);
        const key = sampleKey(sig.data.datapoint, sig.data.address);
        if (!left?.has(key)) return s;
        const rest = new Set(left);
        rest.delete(key);
        return { ...s, openTests: new Map(s.openTests).set(sig.data.step, rest) };
      }
      case 'TestStepFinished': {
        const openTests = new Map(s.openTests);
        openTests.delete(sig.data.step);
        return { ...s, openTests, finishedTests: new Set(s.finishedTests).add(sig.data.step) };
      }
      case 'GatesEvolved': {
        if (sig.data.failed) return s;
        // The edge applies steps in order, each once; after a restart this supervisor may have
        // rewound below what the edge had already applied, so take the furthest step seen.
        const acknowledged = Math.max(s.acknowledged, sig.data.step + 1);
        return acknowledged === s.acknowledged ? s : next(s, Math.max(s.nextStep, acknowledged), acknowledged);
      }
      case 'ServiceStarted':
        // A restarted edge physics says which step it needs next; a restarted clamp lost the step in flight.
        if (sig.data.service === 'edge-physics') return rewind(s, Math.min(sig.data.resumeFrom, s.nextStep), true);
        if (sig.data.service === 'clamping') return rewind(s, s.acknowledged, true);
        return s;
      case 'RunAborted':
        return { ...s, phase: 'ended', failure: sig.data.reason };
      case 'RunFinished':
      case 'RunCancelled':
        return { ...s, phase: 'ended' };
      case 'RunResumed':
        return { ...s, phase: 'running' };
      case 'RunCreated':
      case 'PotentiometerSet':
      case 'DacWritten':
      case 'LearningEnabled':
      case 'FreeOutputMeasured':
      case 'ClampOutputSet':
      case 'TestDatapointApplied':
      case 'NodesSettled':
      case 'DemuxSelected':
      case 'PortBound':
      case 'RunFaulted':
      case 'StateSnapshot':
        return s;
      default: {
        const never: never = sig;
        return never;
      }
    }
  };

  const decide = (s: SupervisorState, input: Signal | SupervisorInput): ReadonlyArray<Out> | typeof LATER => {
    switch (input.type) {
      case 'Cancel':
        return s.phase === 'ended' ? NO_OUTPUT : [emit('RunCancelled', s.acknowledged * s.wiring.t_h_ns, { step: s.acknowledged, reason: input.reason })];
      case 'Resume': {
        // Only a run that was cancelled, or cut off before it ended (its state as the log left it).
        if (s.failure !== null || (s.phase === 'ended' && s.acknowledged >= s.wiring.exp.schedule.steps)) return NO_OUTPUT;
        const resumed = emit('RunResumed', s.acknowledged * s.wiring.t_h_ns, { step: s.acknowledged });
        return s.missing.length > 0 ? [resumed] : pump({ ...s, phase: 'running' }, [resumed]);
      }
      case 'Pump': {
        if (s.missing.length > 0) return NO_OUTPUT; // nothing new, not even the set-up, while a service is missing
        const out: Out[] = [];
        if (s.phase === 'created') setup(s, out);
        return pump(s.phase === 'created' ? { ...s, phase: 'running' } : s, out);
      }
      case 'DacWrote': {
        const out: Out[] = [emit('DacWritten', input.t_ns, { writes: input.writes })];
        const p = input.purpose;
        if (p.kind === 'test') {
          out.push(emit('TestDatapointApplied', input.t_ns, { step: p.step, datapoint: p.datapoint }));
          for (const address of s.wiring.addresses) out.push(call({ op: 'selectDemux', t_ns: input.t_ns, step: p.step, datapoint: p.datapoint, address }));
        }
        return out;
      }
      case 'StepDriven':
        return [emit('DacWritten', input.t_ns, { writes: input.writes }), emit('LearningEnabled', input.t_ns, { step: input.step, duration_ns: input.duration_ns })];
      case 'WiperMoved':
        return [
          emit('PotentiometerSet', input.t_ns, {
            position: input.setting.position,
            positions: input.setting.positions,
            eta: input.setting.position / (input.setting.positions - 1),
          }),
        ];
      case 'DemuxSet':
        return [emit('DemuxSelected', input.t_ns, { step: input.step, datapoint: input.datapoint, address: input.address })];
      case 'GatesEvolved': {
        if (input.data.failed) return abort(s, input.meta.t_ns, input.data.step, input.data.failed);
        if (!autoPump) return NO_OUTPUT;
        const after = evolve(s, input);
        // Refill when the window has drained to the threshold, or to finish the run.
        return after.nextStep - after.acknowledged <= refillBelow || after.acknowledged >= after.wiring.exp.schedule.steps ? pump(after, []) : NO_OUTPUT;
      }
      case 'NodesSettled':
        return input.data.failed ? abort(s, input.meta.t_ns, input.data.step, input.data.failed) : NO_OUTPUT;
      case 'AdcSampled': {
        const before = s.openTests.get(input.data.step);
        const after = evolve(s, input);
        const left = after.openTests.get(input.data.step);
        if (before === undefined || left === undefined || left.size > 0 || before.size === 0) return NO_OUTPUT;
        const done = emit('TestStepFinished', stepTime_ns(input.data.step, s.wiring.exp.schedule.t_h_s), { step: input.data.step });
        if (!autoPump) return [done];
        const openTests = new Map(after.openTests);
        openTests.delete(input.data.step);
        return pump({ ...after, openTests, finishedTests: new Set(after.finishedTests).add(input.data.step) }, [done]);
      }
      case 'ServiceStarted':
        return autoPump ? pump(evolve(s, input), []) : NO_OUTPUT;
      case 'RunFaulted':
        // Another service could not go on with the run: end it, naming why.
        return abort(s, s.acknowledged * s.wiring.t_h_ns, s.acknowledged, `${input.data.service}: ${input.data.reason}`);
      case 'RunCreated':
      case 'RunFinished':
      case 'RunAborted':
      case 'RunCancelled':
      case 'RunResumed':
      case 'PotentiometerSet':
      case 'PatchMapSet':
      case 'StepStarted':
      case 'DacWritten':
      case 'LearningEnabled':
      case 'FreeOutputMeasured':
      case 'ClampOutputSet':
      case 'TestStepStarted':
      case 'TestDatapointApplied':
      case 'DemuxSelected':
      case 'TestStepFinished':
      case 'PortBound':
      case 'StateSnapshot':
        return NO_OUTPUT;
      default: {
        const never: never = input;
        return never;
      }
    }
  };

  return {
    source: 'supervisor',
    listensTo: ['edge-physics', 'measurement', 'clamping'],
    accepts: ['GatesEvolved', 'NodesSettled', 'AdcSampled', 'ServiceStarted', 'RunFaulted'],
    start(created) {
      const exp = created.data.experiment;
      const targets = patchMap(exp);
      const testWrites = exp.dataset.inputs.map((row) => row.map((volts, channel) => ({ channel, volts })));
      // The label lines are the last channels, output 0 first; labels are datapoint-major.
      const k = outputCount(exp);
      const firstLabel = targets.length - k;
      const trainWrites = testWrites.map((writes, d) => [...writes, ...Array.from({ length: k }, (_, o) => ({ channel: firstLabel + o, volts: exp.dataset.labels[d * k + o] }))]);
      return {
        wiring: {
          exp,
          targets,
          trainWrites,
          testWrites,
          trainingPoints: trainingPointCount(exp.dataset),
          tests: testSteps(exp.schedule),
          t_h_ns: Math.round(exp.schedule.t_h_s * 1e9),
          addresses: outputAddresses(exp),
          snapshotEvery: exp.schedule.snapshotEvery ?? DEFAULT_SNAPSHOT_EVERY,
        },
        phase: 'created',
        nextStep: 0,
        acknowledged: 0,
        openTests: new Map(),
        finishedTests: new Set(),
        missing: [],
        failure: null,
      };
    },
    decide,
    evolve: (s, sig) => evolve(s, sig),
  };
}

/** The state with new step counters, every field written out (one object shape: the hot path of every step). */
function next(s: SupervisorState, nextStep: number, acknowledged: number): SupervisorState {
  return { wiring: s.wiring, phase: s.phase, nextStep, acknowledged, openTests: s.openTests, finishedTests: s.finishedTests, missing: s.missing, failure: s.failure };
}

/**
 * Hold or release the run (presence heartbeats, outside the log): while any service is
 * missing nothing new is sent, so learning stays frozen; steps already sent still complete.
 */
export function withMissing(s: SupervisorState, missing: ReadonlyArray<Source>): SupervisorState {
  return { ...s, missing: [...missing] };
}

/** Send again from `step` (steps the edge already applied are skipped there); tests from there on are asked again. */
function rewind(s: SupervisorState, step: number, resetAcknowledged: boolean): SupervisorState {
  const openTests = new Map([...s.openTests].filter(([t]) => t < step));
  return { ...s, acknowledged: resetAcknowledged ? step : s.acknowledged, nextStep: step, openTests };
}

/**
 * After a restart, the state folded from the log, adjusted for what the log cannot show:
 * the edge may have applied steps whose supervisor signals never reached the log (this
 * process died before flushing them), so send again from the first step missing from the
 * log; the edge skips steps it has already applied, and step k's datapoint is a function of
 * (seed, k), so the re-sent steps are the ones sent before.
 */
export function resumeSupervisor(s: SupervisorState, lastLoggedStep: number): SupervisorState {
  return s.phase === 'created' ? s : rewind(s, Math.min(s.acknowledged, lastLoggedStep + 1), false);
}
