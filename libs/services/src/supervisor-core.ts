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
import type { Signal, Source } from '@metatwin/contracts';
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
  /** Test steps sent whose samples are not all in: step → sample keys still expected. */
  readonly openTests: Map<number, Set<string>>;
  /** Tests whose every sample arrived. */
  readonly finishedTests: Set<number>;
  /** The datapoint each training step applied, so a step sent again applies the same one. */
  readonly datapointOfStep: Map<number, number>;
  finished: boolean;
  failure: string | null;
}

export class SupervisorCore extends Core {
  readonly source = 'supervisor' as const;
  readonly listensTo = ['edge-physics', 'measurement', 'clamping'] as const;
  readonly accepts = ['GatesEvolved', 'AdcSampled', 'ServiceStarted'] as const;
  private readonly runs = new Map<string, RunState>();
  /** Services known to be missing: while any is, no step or test is sent (learning frozen). */
  private missing: ReadonlyArray<Source> = [];

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
  start(runId: string, exp: Experiment, mode: 'embedded' | 'distributed', startedAt_ms?: number): void {
    if (this.runs.has(runId)) throw new Error(`run ${runId} already exists`);
    const run = this.startState(runId, exp);
    this.emit(runId, 'RunCreated', 0, { experiment: exp, mode, ...(startedAt_ms === undefined ? {} : { startedAt_ms }) });
    this.emit(runId, 'PatchMapSet', 0, { channels: run.targets });
    const law = exp.clamp;
    if (law.kind === 'coupled' || law.kind === 'differential') this.emit(runId, 'PotentiometerSet', 0, { position: Math.round(law.eta * 127), positions: 128, eta: law.eta });
    exp.roles.rails.forEach((rail, i) => this.write(runId, run, exp.roles.inputs.length + i, rail.volts, 0));
    if (this.autoPump) this.pump(runId);
  }

  private startState(runId: string, exp: Experiment): RunState {
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
      finishedTests: new Set(),
      datapointOfStep: new Map(),
      finished: false,
      failure: null,
    };
    this.runs.set(runId, run);
    return run;
  }

  /**
   * Which services are missing (from presence heartbeats, seen by the host). Steps already
   * sent still complete; nothing new is sent until every service is back, then pumping resumes.
   */
  setMissing(missing: ReadonlyArray<Source>): void {
    const wasHeld = this.missing.length > 0;
    this.missing = [...missing];
    if (wasHeld && this.missing.length === 0 && this.autoPump) for (const runId of this.runs.keys()) this.pump(runId);
  }

  get missingServices(): ReadonlyArray<Source> {
    return this.missing;
  }

  /** Send training and test steps while the window allows. Returns false once nothing more can be sent. */
  pump(runId: string): boolean {
    const run = this.runs.get(runId);
    if (!run || run.finished || run.failure) return false;
    if (this.missing.length > 0) return true;
    const { steps } = run.exp.schedule;
    while (run.nextStep - run.acknowledged < this.window) {
      // A test below the next step already happened: the edge physics has gone past it, and
      // the supervisor never sends steps past an unfinished test.
      while (run.nextTest < run.tests.length && run.tests[run.nextTest] < run.nextStep) run.finishedTests.add(run.tests[run.nextTest++]);
      const test = run.nextTest < run.tests.length ? run.tests[run.nextTest] : -1;
      if (test === run.nextStep) {
        if (run.finishedTests.has(test)) {
          run.nextTest++;
          continue;
        }
        if (!run.openTests.has(test)) this.sendTest(runId, run, test);
        // Learning stays frozen until the test is read out (measurement present).
        break;
      }
      if (run.nextStep >= steps) break;
      // Advance before sending: an in-process bus delivers the acknowledgement synchronously.
      const step = run.nextStep++;
      this.sendStep(runId, run, step);
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
      // The edge applies steps in order, each once; after a restart this supervisor may have
      // rewound below what the edge had already applied, so take the furthest step seen.
      if (s.data.step + 1 <= run.acknowledged) return;
      run.acknowledged = s.data.step + 1;
      if (run.nextStep < run.acknowledged) run.nextStep = run.acknowledged;
      if (this.autoPump) this.pump(runId);
      else this.maybeFinish(runId, run);
    } else if (s.type === 'AdcSampled') {
      const left = run.openTests.get(s.data.step);
      if (left === undefined) return;
      left.delete(`${s.data.datapoint}:${s.data.address}`);
      if (left.size === 0) {
        run.openTests.delete(s.data.step);
        run.finishedTests.add(s.data.step);
        this.emit(runId, 'TestStepFinished', stepTime_ns(s.data.step, run.exp.schedule.t_h_s), { step: s.data.step });
        if (this.autoPump) this.pump(runId);
        else this.maybeFinish(runId, run);
      }
    } else if (s.type === 'ServiceStarted') {
      // A restarted edge physics says which step it needs next; a restarted clamp lost the
      // step in flight. Either way, send again from there (already applied steps are skipped).
      if (s.data.service === 'edge-physics') this.rewind(runId, run, Math.min(s.data.resumeFrom, run.nextStep));
      else if (s.data.service === 'clamping') this.rewind(runId, run, run.acknowledged);
    }
  }

  private rewind(runId: string, run: RunState, step: number): void {
    run.acknowledged = step;
    run.nextStep = step;
    run.nextTest = run.tests.findIndex((t) => t >= step && !run.finishedTests.has(t));
    if (run.nextTest < 0) run.nextTest = run.tests.length;
    for (const t of [...run.openTests.keys()]) if (t >= step) run.openTests.delete(t);
    if (this.autoPump) this.pump(runId);
  }

  /**
   * After a restart: rebuild a run from the log (this service's own signals, the edge's
   * acknowledgements and the measurement's samples) and carry on from the first step the
   * edge physics has not applied.
   */
  recover(runId: string, logged: ReadonlyArray<Signal>): void {
    const created = logged.find((s) => s.type === 'RunCreated');
    if (!created || created.type !== 'RunCreated') return;
    const exp = created.data.experiment as Experiment;
    const run = this.startState(runId, exp);
    let lastSent = -1;
    for (const s of logged) {
      if (s.type === 'StepStarted' && s.meta.source === 'supervisor') {
        run.datapointOfStep.set(s.data.step, s.data.datapoint);
        lastSent = Math.max(lastSent, s.data.step);
      } else if (s.type === 'GatesEvolved' && !s.data.failed) run.acknowledged = Math.max(run.acknowledged, s.data.step + 1);
      else if (s.type === 'TestStepFinished') run.finishedTests.add(s.data.step);
      else if (s.type === 'RunFinished' || s.type === 'RunAborted') run.finished = true;
    }
    // The edge may have applied steps whose supervisor signals never reached the log (this
    // process died before flushing them). Draw the random datapoint order through every step
    // either side knows of, so the next new step draws what an uninterrupted run would.
    const lastKnown = Math.max(lastSent, run.acknowledged - 1);
    for (let step = 0; step <= lastKnown; step++) {
      const d = datapointAt(exp.schedule, step, exp.dataset.inputs.length, run.rng);
      const logged = run.datapointOfStep.get(step);
      if (step <= lastSent && logged !== undefined && logged !== d) throw new Error(`run ${runId}: the logged datapoint of step ${step} does not follow from the seed`);
      run.datapointOfStep.set(step, d);
    }
    // Tests below the acknowledged step are over: the edge never passes an unfinished test.
    for (const t of run.tests) if (t < run.acknowledged) run.finishedTests.add(t);
    // Send again from the first step whose signals are missing from the log, so the log
    // holds every step; the edge physics skips steps it has already applied.
    run.nextStep = Math.min(run.acknowledged, lastSent + 1);
    run.nextTest = run.tests.findIndex((t) => t >= run.nextStep && !run.finishedTests.has(t));
    if (run.nextTest < 0) run.nextTest = run.tests.length;
  }

  private write(runId: string, run: RunState, channel: number, v: number, t_ns: number): void {
    this.emit(runId, 'DacWritten', t_ns, { channel, ...channelWrite(run.dac, run.targets[channel], v) });
  }

  private sendStep(runId: string, run: RunState, step: number): void {
    const exp = run.exp;
    let d = run.datapointOfStep.get(step);
    if (d === undefined) {
      d = datapointAt(exp.schedule, step, exp.dataset.inputs.length, run.rng);
      run.datapointOfStep.set(step, d);
    }
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
    run.openTests.set(step, new Set(exp.dataset.inputs.flatMap((_, d) => run.addresses.map((a) => `${d}:${a}`))));
    exp.dataset.inputs.forEach((row, d) => {
      row.forEach((v, i) => this.write(runId, run, i, v, t));
      this.emit(runId, 'TestDatapointApplied', t, { step, datapoint: d });
      for (const address of run.addresses) this.emit(runId, 'DemuxSelected', t, { step, datapoint: d, address });
    });
  }

  private maybeFinish(runId: string, run: RunState): void {
    const steps = run.exp.schedule.steps;
    if (run.finished || run.acknowledged < steps || run.openTests.size > 0 || !run.tests.every((t) => run.finishedTests.has(t))) return;
    run.finished = true;
    this.emit(runId, 'RunFinished', steps * run.t_h_ns, { steps });
    this.onProgress(this.progress(runId) as RunProgress);
  }
}
