/**
 * The supervisor (the Arduino's role, paper Fig. 9C and Appendix E.3) as a service. It owns
 * the schedule and simulated time: before the run it sets the patch map, the
 * potentiometer (η) and the rails; each training step it writes the datapoint's inputs and
 * label to the DAC and pulses learn-enable for t_h; at test steps, learning frozen, it
 * applies each datapoint and selects the output nodes on the demux for the ADC.
 *
 * Flow control: at most `window` training steps are outstanding (sent but not yet
 * acknowledged by GatesEvolved). The edge physics applies signals strictly in order, so
 * the window only bounds how far the supervisor runs ahead; results do not depend on it.
 */
import type { Signal } from '@metatwin/contracts';
import { channelWrite, dacConfig, datapointAt, outputNodes, patchMap, rngStreams, testSteps, type Experiment } from '@metatwin/experiments';
import type { Rng } from '@metatwin/physics';
import type { DacConfig, PatchTarget } from '@metatwin/supervisor';
import { Core, stepTime_ns } from './core';

export interface RunProgress {
  readonly runId: string;
  readonly stepsAcknowledged: number;
  readonly steps: number;
  readonly finished: boolean;
  readonly failure: string | null;
}

interface RunState {
  readonly exp: Experiment;
  readonly dac: DacConfig;
  readonly rng: Rng;
  readonly targets: PatchTarget[];
  readonly tests: number[];
  readonly t_h_ns: number;
  readonly addresses: number[];
  /** Next training step to send. */
  nextStep: number;
  /** Index into tests of the next test to send. */
  nextTest: number;
  /** Training steps acknowledged by GatesEvolved. */
  acknowledged: number;
  /** Test steps sent whose samples are not all in: step → samples still expected. */
  readonly openTests: Map<number, number>;
  finished: boolean;
  failure: string | null;
}

export class SupervisorCore extends Core {
  readonly source = 'supervisor' as const;
  readonly listensTo = ['edge-physics', 'measurement'] as const;
  readonly accepts = ['GatesEvolved', 'AdcSampled'] as const;
  private readonly runs = new Map<string, RunState>();

  constructor(
    publish: (s: Signal) => void,
    private readonly window = 64,
    /** Called when a run finishes or fails (distributed: to report; embedded: to stop pumping). */
    private readonly onProgress: (p: RunProgress) => void = () => undefined,
    /** Send more steps as acknowledgements arrive (services); the embedded runner pumps itself. */
    private readonly autoPump = true,
  ) {
    super(publish);
  }

  progress(runId: string): RunProgress | undefined {
    const r = this.runs.get(runId);
    return r && { runId, stepsAcknowledged: r.acknowledged, steps: r.exp.schedule.steps, finished: r.finished, failure: r.failure };
  }

  /** Begin a run: announce it, wire the patch map, set η and the rails, then start pumping. */
  start(runId: string, exp: Experiment, mode: 'embedded' | 'distributed'): void {
    if (this.runs.has(runId)) throw new Error(`run ${runId} already exists`);
    const targets = patchMap(exp);
    const nodes = exp.network.kind === 'lattice' ? exp.network.rows * exp.network.cols : exp.network.nodes;
    const run: RunState = {
      exp,
      dac: dacConfig(exp),
      rng: rngStreams(exp.seed).schedule,
      targets,
      tests: testSteps(exp.schedule),
      t_h_ns: Math.round(exp.schedule.t_h_s * 1e9),
      // Free-copy node n is demux address n (clamped copy nodes follow at nodes + n).
      addresses: outputNodes(exp).filter((n) => n < nodes),
      nextStep: 0,
      nextTest: 0,
      acknowledged: 0,
      openTests: new Map(),
      finished: false,
      failure: null,
    };
    this.runs.set(runId, run);
    this.emit(runId, 'RunCreated', 0, { experiment: exp, mode });
    this.emit(runId, 'PatchMapSet', 0, { channels: targets });
    const law = exp.clamp;
    if (law.kind === 'coupled' || law.kind === 'differential') this.emit(runId, 'PotentiometerSet', 0, { position: Math.round(law.eta * 127), positions: 128, eta: law.eta });
    exp.roles.rails.forEach((rail, i) => this.write(runId, run, exp.roles.inputs.length + i, rail.volts, 0));
    if (this.autoPump) this.pump(runId);
  }

  /** Send training and test steps while the window allows. Returns false once nothing more can be sent. */
  pump(runId: string): boolean {
    const run = this.runs.get(runId);
    if (!run || run.finished || run.failure) return false;
    const { steps } = run.exp.schedule;
    while (run.nextStep - run.acknowledged < this.window) {
      if (run.nextTest < run.tests.length && run.tests[run.nextTest] === run.nextStep) {
        this.sendTest(runId, run, run.nextStep);
        run.nextTest++;
        continue;
      }
      if (run.nextStep >= steps) break;
      this.sendStep(runId, run, run.nextStep);
      run.nextStep++;
    }
    this.maybeFinish(runId, run);
    return !run.finished && !run.failure;
  }

  handle(s: Signal): void {
    const run = this.runs.get(s.meta.runId);
    if (!run) return;
    const runId = s.meta.runId;
    if (s.type === 'GatesEvolved') {
      if (s.data.failed) {
        run.failure = s.data.failed;
        this.emit(runId, 'RunAborted', s.meta.t_ns, { reason: s.data.failed, step: s.data.step });
        this.onProgress(this.progress(runId) as RunProgress);
        return;
      }
      if (s.data.step !== run.acknowledged) return; // a duplicate after a restart
      run.acknowledged++;
      if (this.autoPump) this.pump(runId);
      else this.maybeFinish(runId, run);
    } else if (s.type === 'AdcSampled') {
      const left = run.openTests.get(s.data.step);
      if (left === undefined) return;
      if (left > 1) run.openTests.set(s.data.step, left - 1);
      else {
        run.openTests.delete(s.data.step);
        this.emit(runId, 'TestStepFinished', stepTime_ns(s.data.step, run.exp.schedule.t_h_s), { step: s.data.step });
        this.maybeFinish(runId, run);
      }
    }
  }

  private write(runId: string, run: RunState, channel: number, v: number, t_ns: number): void {
    this.emit(runId, 'DacWritten', t_ns, { channel, ...channelWrite(run.dac, run.targets[channel], v) });
  }

  private sendStep(runId: string, run: RunState, step: number): void {
    const exp = run.exp;
    const d = datapointAt(exp.schedule, step, exp.dataset.inputs.length, run.rng);
    const t = step * run.t_h_ns;
    this.emit(runId, 'StepStarted', t, { step, datapoint: d });
    exp.dataset.inputs[d].forEach((v, i) => this.write(runId, run, i, v, t));
    this.write(runId, run, run.targets.length - 1, exp.dataset.labels[d], t);
    this.emit(runId, 'LearningEnabled', t, { step, duration_ns: run.t_h_ns });
    this.emit(runId, 'LearningDisabled', t + run.t_h_ns, { step });
  }

  private sendTest(runId: string, run: RunState, step: number): void {
    const exp = run.exp;
    const t = step * run.t_h_ns;
    this.emit(runId, 'TestStepStarted', t, { step });
    run.openTests.set(step, exp.dataset.inputs.length * run.addresses.length);
    exp.dataset.inputs.forEach((row, d) => {
      row.forEach((v, i) => this.write(runId, run, i, v, t));
      this.emit(runId, 'TestDatapointApplied', t, { step, datapoint: d });
      for (const address of run.addresses) this.emit(runId, 'DemuxSelected', t, { step, datapoint: d, address });
    });
  }

  private maybeFinish(runId: string, run: RunState): void {
    const steps = run.exp.schedule.steps;
    if (run.finished || run.acknowledged < steps || run.nextTest < run.tests.length || run.openTests.size > 0) return;
    run.finished = true;
    this.emit(runId, 'RunFinished', steps * run.t_h_ns, { steps });
    this.onProgress(this.progress(runId) as RunProgress);
  }
}
