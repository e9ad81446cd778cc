/**
 * A run's result as a fold of its signals: the same code turns a live embedded run, a
 * distributed run or a replayed log into result.json. Gates at a test step are those the
 * test read (NodesSettled); the final gates are the last StateSnapshot's (the edge logs one
 * after the last step and at a cancel; foldRunSignals re-drives when the log lacks it);
 * outputs are the ADC readings (O+ − O− when differential); the final power and
 * conductances are the model's at the final gates and learning time.
 */
import { decodeFloat64, encodeFloat64, unreadableRun, type Experiment, type Signal, type SignalType } from '@metatwin/contracts';
import { buildRig, finalState, readTest, rigAt, summarise, testTask, type LogEntry, type RunResult, type TestTask } from '@metatwin/experiments';

/** The signal types the run fold acts on: every other type changes nothing in it, so a bus need not deliver them. */
export const RUN_FOLD_TYPES = [
  'RunCreated',
  'GatesEvolved',
  'StateSnapshot',
  'TestStepStarted',
  'NodesSettled',
  'AdcSampled',
  'TestStepFinished',
  'RunFinished',
  'RunAborted',
  'RunCancelled',
  'RunResumed',
] as const satisfies ReadonlyArray<SignalType>;

export class RunAssembler {
  experiment: Experiment | null = null;
  mode: 'embedded' | 'distributed' = 'embedded';
  status: 'running' | 'finished' | 'aborted' | 'cancelled' = 'running';
  abortReason: string | null = null;
  readonly log: LogEntry[] = [];
  /** Gates of the latest snapshot (step `gatesStep`), kept encoded until needed. */
  private gatesEncoded: string | null = null;
  private gatesStep = -1;
  /** The charging energy the latest snapshot carried, and its step (contract 5 simulated edges log it). */
  private energy_J: number | null = null;
  private energyStep = -1;
  private initialGates: Float64Array | null = null;
  lastStep = -1;
  steps = 0;
  private task: TestTask | null = null;
  private readonly samples = new Map<number, Map<string, number>>();
  private readonly gatesAtTest = new Map<number, Float64Array>();
  private readonly testTime = new Map<number, number>();

  /** Whether `gates` are those after the latest acknowledged step (else re-drive from the snapshot). */
  get gatesCurrent(): boolean {
    return this.gatesStep === this.lastStep;
  }

  /** Gates after the step re-driven elsewhere (foldRunSignals), when the log holds no snapshot of it. */
  setGates(step: number, gates_V: Float64Array): void {
    this.gatesEncoded = encodeFloat64(gates_V);
    this.gatesStep = step;
  }

  /** Gates of the latest snapshot (the initial gates before any): see gatesCurrent. */
  get gates(): Float64Array {
    if (this.gatesEncoded !== null) return decodeFloat64(this.gatesEncoded);
    if (this.initialGates === null) throw new Error('no RunCreated folded yet');
    return this.initialGates;
  }

  /** Feed every signal of the run, in any interleaving of sources that keeps each source's order. */
  fold(s: Signal): void {
    switch (s.type) {
      case 'RunCreated': {
        const unreadable = unreadableRun(s);
        if (unreadable) throw new Error(unreadable);
        const exp = s.data.experiment;
        this.experiment = exp;
        this.mode = s.data.mode;
        this.task = testTask(exp, buildRig(exp));
        this.initialGates = Float64Array.from(exp.initialGates_V);
        return;
      }
      case 'GatesEvolved':
        if (s.data.failed) return;
        this.lastStep = s.data.step;
        // Runs before contract 4 carry every step's gates here.
        if (s.data.gates !== undefined) {
          this.gatesEncoded = s.data.gates;
          this.gatesStep = s.data.step;
        }
        return;
      case 'StateSnapshot':
        if (s.meta.source !== 'edge-physics') return;
        this.gatesEncoded = s.data.gates;
        this.gatesStep = s.data.step;
        if (s.data.learningEnergy_J !== undefined) {
          this.energy_J = s.data.learningEnergy_J;
          this.energyStep = s.data.step;
        }
        return;
      case 'NodesSettled':
        // What the buffers saw at this test is exactly the gates at it.
        if (!this.gatesAtTest.has(s.data.step)) this.gatesAtTest.set(s.data.step, decodeFloat64(s.data.gates));
        return;
      case 'TestStepStarted':
        this.testTime.set(s.data.step, s.meta.t_ns);
        this.samples.set(s.data.step, new Map());
        return;
      case 'AdcSampled':
        this.samples.get(s.data.step)?.set(`${s.data.datapoint}:${s.data.address}`, s.data.nodeCode);
        return;
      case 'TestStepFinished':
        this.closeTest(s.data.step);
        return;
      case 'RunFinished':
        this.status = 'finished';
        this.steps = s.data.steps;
        return;
      case 'RunAborted':
        this.status = 'aborted';
        this.abortReason = s.data.reason;
        return;
      case 'RunCancelled':
        this.status = 'cancelled';
        this.abortReason = s.data.reason;
        return;
      case 'RunResumed':
        this.status = 'running';
        this.abortReason = null;
        return;
      case 'PotentiometerSet':
      case 'PatchMapSet':
      case 'StepStarted':
      case 'DacWritten':
      case 'LearningEnabled':
      case 'FreeOutputMeasured':
      case 'ClampOutputSet':
      case 'TestDatapointApplied':
      case 'DemuxSelected':
      case 'ServiceStarted':
      case 'PortBound':
      case 'RunFaulted':
        return;
      default: {
        const never: never = s;
        throw new Error(`unknown signal type ${JSON.stringify((never as { type: unknown }).type)}`);
      }
    }
  }

  private closeTest(step: number): void {
    const exp = this.experiment;
    const codes = this.samples.get(step);
    if (!exp || !codes || !this.task) return;
    const reading = readTest(this.task, (d, a) => codes.get(`${d}:${a}`), `test step ${step}`);
    const gates = this.gatesAtTest.get(step) ?? this.gates;
    this.log.push({ t_s: (this.testTime.get(step) ?? 0) / 1e9, step, ...reading, gates_V: Array.from(gates) });
    this.samples.delete(step);
    this.gatesAtTest.delete(step);
  }

  /** The result.json of a finished run. */
  result(runId: string, wall_s: number): RunResult & { run: string; mode: 'embedded' | 'distributed' } {
    const exp = this.experiment;
    if (!exp || !this.task) throw new Error(`run ${runId}: no RunCreated in the log`);
    if (this.log.length === 0) throw new Error(`run ${runId}: no test step was completed`);
    // The network as it ended: final gates, and any damage due by the final learning time.
    if (!this.gatesCurrent)
      throw new Error(`run ${runId}: the gates after step ${this.lastStep} are not folded (the latest snapshot is of step ${this.gatesStep}; fold the log with foldRunSignals)`);
    const steps = this.steps || this.lastStep + 1;
    const rig = rigAt(exp, this.gates, steps);
    const final = finalState(rig);
    return {
      kind: 'run',
      run: runId,
      mode: this.mode,
      name: exp.name,
      seed: exp.seed,
      steps,
      wall_s,
      experiment: exp,
      network: {
        nodeCount: rig.network.nodeCount,
        edges: Array.from({ length: rig.network.edgeCount }, (_, e) => [rig.network.edgeA[e], rig.network.edgeB[e]] as const),
        lattice: rig.network.lattice,
      },
      roles: structuredClone(exp.roles),
      inputs: rig.inputs_V,
      labels: rig.labels_V,
      modeNames: this.task.basis.names,
      log: this.log,
      final: {
        ...final,
        outputs: this.log[this.log.length - 1].outputs,
        ...(this.energyStep === this.lastStep && this.energy_J !== null ? { learningEnergy_J: this.energy_J } : {}),
      },
      summary: summarise(this.log, this.task.basis.names, rig.inputs_V, rig.labels_V, rig.outputs),
    };
  }
}
