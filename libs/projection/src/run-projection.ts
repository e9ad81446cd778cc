/**
 * One run's signals as InfluxDB points (schema.ts). Each point is computed from the signals
 * of a single source, so the projection only needs each source's own order — the order the
 * event log keeps — and never waits on another service. The one shared input is the
 * experiment, from RunCreated, which the caller hands over first.
 *
 * Training steps are decimated (every `projectEvery(steps)`-th step's gates, DAC writes,
 * clamp outputs and learn-enable); test steps are projected whole. A point's identity is
 * (measurement, tags, time), so projecting a signal twice writes the same point twice and
 * InfluxDB keeps one.
 */
import { decodeFloat64, type Experiment, type Signal } from '@metatwin/contracts';
import { buildRig, freeConductances, readTest, testTask, type Rig, type TestTask } from '@metatwin/experiments';
import { fromCode } from '@metatwin/physics';
import { dacConfig, dacVoltage, patchMap, testSteps, type DacConfig, type PatchTarget } from '@metatwin/supervisor';
import { adcConfig, type AdcConfig } from '@metatwin/measurement';
import { MEASUREMENTS, modeField, pointTime_us, projectEvery, type FieldSet, type MeasurementName, type Point, type TagSet } from './schema';

/** Experiment tag: a family's name, or the experiment's; task tag: the family member, or the experiment again. */
export function experimentTags(name: string): { experiment: string; task: string } {
  const slash = name.indexOf('/');
  return slash < 0 ? { experiment: name, task: name } : { experiment: name.slice(0, slash), task: name.slice(slash + 1) };
}

/** Start of a run (ms since the epoch): RunCreated's, else the UTC stamp in a CLI run id (…-YYYYMMDDhhmmss-…), else 0. */
export function runStart_ms(runId: string, startedAt_ms: number | undefined): number {
  if (startedAt_ms !== undefined) return startedAt_ms;
  const m = /-(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})-/.exec(runId);
  return m ? Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]) : 0;
}

interface TestOutputs {
  readonly t_ns: number;
  readonly codes: Map<string, number>;
}

interface TestNodes {
  readonly t_ns: number;
  readonly free: Map<number, { readonly free_V: ReadonlyArray<number>; readonly gates: Float64Array }>;
}

export class RunProjection {
  readonly experiment: Experiment;
  readonly start_ms: number;
  private readonly mode: string;
  private readonly base: TagSet;
  private readonly every: number;
  private readonly tests: Set<number>;
  private readonly t_h_ns: number;
  private readonly rig: Rig;
  /** How a test step is read (as result.json reads it). */
  private readonly task: TestTask;
  private readonly adc: AdcConfig;
  private readonly dac: DacConfig;
  private readonly targets: PatchTarget[];
  private readonly inputsTag: string[];
  // Supervisor stream.
  private step = -1;
  private stepDatapoint = 0;
  private phase: 'setup' | 'train' | 'test' = 'setup';
  private testDatapoint = 0;
  private trainingCycles = 0;
  private cycles = 0;
  // Edge-physics and measurement streams: test steps being gathered.
  private readonly nodesAtTest = new Map<number, TestNodes>();
  private readonly samplesAtTest = new Map<number, TestOutputs>();
  private readonly kScratch: Float64Array;
  private readonly pScratch: Float64Array;

  constructor(
    readonly runId: string,
    created: Signal<'RunCreated'>,
  ) {
    const exp = created.data.experiment;
    this.experiment = exp;
    this.start_ms = runStart_ms(runId, created.data.startedAt_ms);
    this.mode = created.data.mode;
    this.base = { run: runId, ...experimentTags(exp.name) };
    this.every = projectEvery(exp.schedule.steps);
    this.tests = new Set(testSteps(exp.schedule));
    this.t_h_ns = Math.round(exp.schedule.t_h_s * 1e9);
    this.rig = buildRig(exp);
    this.task = testTask(exp, this.rig);
    this.adc = adcConfig(exp);
    this.dac = dacConfig(exp);
    this.targets = patchMap(exp);
    this.inputsTag = exp.dataset.inputs.map((row) => row.map((v) => String(v)).join(','));
    this.kScratch = new Float64Array(this.rig.network.edgeCount);
    this.pScratch = new Float64Array(this.rig.network.edgeCount);
  }

  /** Append the points `s` gives to `out`. */
  fold(s: Signal, out: Point[]): void {
    switch (s.meta.source) {
      case 'supervisor':
        return this.supervisor(s, out);
      case 'edge-physics':
        return this.edge(s, out);
      case 'clamping':
        if (s.type === 'ClampOutputSet' && s.data.step % this.every === 0) {
          const dt = Math.round((s.data.substep * this.t_h_ns) / this.experiment.schedule.substeps);
          s.data.values.forEach((value, o) =>
            out.push(
              this.point(MEASUREMENTS.clamp, { copy: 'clamped', output: String(o) }, { value, drives: s.data.drives, substep: s.data.substep }, s.meta.t_ns + dt, s.data.step),
            ),
          );
        }
        return;
      case 'measurement':
        if (s.type === 'AdcSampled') this.sample(s, out);
        return;
    }
  }

  private supervisor(s: Signal, out: Point[]): void {
    const exp = this.experiment;
    switch (s.type) {
      case 'RunCreated': {
        const law = exp.clamp;
        out.push(
          this.point(
            MEASUREMENTS.run,
            { mode: this.mode },
            {
              status: 'created',
              steps: exp.schedule.steps,
              seed: exp.seed,
              eta: law.kind === 'coupled' || law.kind === 'differential' ? law.eta : 1,
              t_h_s: exp.schedule.t_h_s,
              edges: this.rig.network.edgeCount,
              nodes: this.rig.network.nodeCount,
              datapoints: exp.dataset.inputs.length,
            },
            0,
            0,
          ),
        );
        return;
      }
      case 'StepStarted':
        this.step = s.data.step;
        this.stepDatapoint = s.data.datapoint;
        this.phase = 'train';
        return;
      case 'DacWritten': {
        const projected = this.phase === 'setup' || this.phase === 'test' || this.step % this.every === 0;
        if (!projected) return;
        const datapoint = this.phase === 'train' ? this.stepDatapoint : this.phase === 'test' ? this.testDatapoint : -1;
        for (const w of s.data.writes) {
          const target = this.targets[w.channel];
          const volts = w.volts ?? (target ? dacVoltage(this.dac, target, w.code) : NaN);
          out.push(
            this.point(
              MEASUREMENTS.dac,
              { channel: String(w.channel), target: target?.kind === 'node' ? `node ${target.node}` : 'label', phase: this.phase, datapoint: String(datapoint) },
              { code: w.code, volts },
              s.meta.t_ns,
              Math.max(this.step, 0),
            ),
          );
        }
        return;
      }
      case 'LearningEnabled':
        this.trainingCycles++;
        this.cycles++;
        if (s.data.step % this.every === 0) out.push(this.learnEnable(1, 'train', s.meta.t_ns, s.data.step));
        return;
      case 'TestStepStarted':
        this.phase = 'test';
        this.testDatapoint = 0;
        this.step = s.data.step;
        return;
      case 'TestDatapointApplied':
        this.testDatapoint = s.data.datapoint + 1;
        this.cycles++;
        return;
      case 'TestStepFinished':
        out.push(this.learnEnable(0, 'test', s.meta.t_ns, s.data.step));
        return;
      case 'RunFinished':
        out.push(this.point(MEASUREMENTS.run, { mode: this.mode }, { status: 'finished', steps: s.data.steps }, s.meta.t_ns, s.data.steps));
        return;
      case 'RunAborted':
        out.push(this.point(MEASUREMENTS.run, { mode: this.mode }, { status: 'aborted', steps: s.data.step, reason: s.data.reason }, s.meta.t_ns, s.data.step));
        return;
      case 'RunCancelled':
        out.push(this.point(MEASUREMENTS.run, { mode: this.mode }, { status: 'cancelled', steps: s.data.step, reason: s.data.reason }, s.meta.t_ns, s.data.step));
        return;
      case 'RunResumed':
        out.push(this.point(MEASUREMENTS.run, { mode: this.mode }, { status: 'resumed', steps: s.data.step }, s.meta.t_ns, s.data.step));
        return;
      case 'PotentiometerSet':
      case 'PatchMapSet':
      case 'FreeOutputMeasured':
      case 'ClampOutputSet':
      case 'GatesEvolved':
      case 'NodesSettled':
      case 'DemuxSelected':
      case 'AdcSampled':
      case 'ServiceStarted':
      case 'PortBound':
      case 'RunFaulted':
      case 'StateSnapshot':
        return;
      default: {
        const never: never = s;
        throw new Error(`unknown signal type ${JSON.stringify((never as { type: unknown }).type)}`);
      }
    }
  }

  /** Duty: the share of supervisor cycles since the last learn-enable point that trained. */
  private learnEnable(enabled: number, phase: string, t_ns: number, step: number): Point {
    const duty = this.cycles > 0 ? this.trainingCycles / this.cycles : enabled;
    this.trainingCycles = 0;
    this.cycles = 0;
    return this.point(MEASUREMENTS.learnEnable, { phase }, { enabled, duty }, t_ns, step);
  }

  private edge(s: Signal, out: Point[]): void {
    const { twin, network } = this.rig;
    // Gates between tests: every snapshot (contract 4), or every `every`-th step's GatesEvolved of older runs.
    const gates = s.type === 'StateSnapshot' ? s.data.gates : s.type === 'GatesEvolved' && !s.data.failed && s.data.step % this.every === 0 ? s.data.gates : undefined;
    if (s.type === 'GatesEvolved' || s.type === 'StateSnapshot') {
      // The gates after step k are those the test at k + 1 reports; leave those to the test.
      if (gates === undefined || this.tests.has(s.data.step + 1)) return;
      twin.gates_V.set(decodeFloat64(gates));
      // Training-step conductances need node voltages the log does not carry; tests have them.
      this.kScratch.fill(NaN);
      for (let e = 0; e < network.edgeCount; e++) out.push(this.gatePoint(e, twin.gates_V[e], this.kScratch[e], s.meta.t_ns, s.data.step + 1));
      return;
    }
    if (s.type !== 'NodesSettled') return;
    let test = this.nodesAtTest.get(s.data.step);
    if (!test) this.nodesAtTest.set(s.data.step, (test = { t_ns: s.meta.t_ns, free: new Map() }));
    test.free.set(s.data.datapoint, { free_V: s.data.free_V, gates: decodeFloat64(s.data.gates) });
    const datapoints = this.experiment.dataset.inputs.length;
    if (test.free.size < datapoints) return;
    this.nodesAtTest.delete(s.data.step);
    // Power and conductance per edge, averaged over datapoints, at the gates of this test.
    const m = network.edgeCount;
    const power = new Float64Array(m);
    const conductance = new Float64Array(m);
    let total = 0;
    for (const [d, at] of test.free) {
      twin.gates_V.set(at.gates);
      twin.selectSlot(d);
      twin.freeVoltages_V.set(at.free_V);
      total += twin.freePower(this.pScratch) / datapoints;
      freeConductances(twin, network, this.kScratch);
      for (let e = 0; e < m; e++) {
        power[e] += this.pScratch[e] / datapoints;
        conductance[e] += this.kScratch[e] / datapoints;
      }
    }
    for (let e = 0; e < m; e++) {
      out.push(this.gatePoint(e, twin.gates_V[e], conductance[e], test.t_ns, s.data.step));
      out.push(this.point(MEASUREMENTS.power, { copy: 'free', edge: String(e) }, { power_W: power[e] }, test.t_ns, s.data.step));
    }
    out.push(this.point(MEASUREMENTS.power, { copy: 'free', edge: 'total' }, { power_W: total }, test.t_ns, s.data.step));
  }

  private gatePoint(e: number, gate_V: number, conductance_S: number, t_ns: number, step: number): Point {
    const { network } = this.rig;
    const fields: Record<string, number> = { gate_V };
    if (Number.isFinite(conductance_S)) fields.conductance_S = conductance_S;
    return this.point(MEASUREMENTS.gate, { edge: String(e), nodes: `${network.edgeA[e]}-${network.edgeB[e]}` }, fields, t_ns, step);
  }

  private sample(s: Signal<'AdcSampled'>, out: Point[]): void {
    const { step, datapoint, address } = s.data;
    const nodes = this.rig.network.nodeCount;
    const edges = this.rig.network.edgeCount;
    out.push(
      this.point(
        MEASUREMENTS.adc,
        { copy: 'free', datapoint: String(datapoint), address: String(address), node: String(address % nodes), edge: String(address % edges) },
        {
          node_code: s.data.nodeCode,
          gate_code: s.data.gateCode,
          node_V: fromCode(this.adc.node, s.data.nodeCode),
          gate_V: fromCode(this.adc.gate, s.data.gateCode),
          repeats: s.data.repeats,
        },
        s.meta.t_ns,
        step,
      ),
    );
    let test = this.samplesAtTest.get(step);
    if (!test) this.samplesAtTest.set(step, (test = { t_ns: s.meta.t_ns, codes: new Map() }));
    test.codes.set(`${datapoint}:${address}`, s.data.nodeCode);
    const labels = this.rig.labels_V;
    if (test.codes.size < this.rig.held_V.length * this.task.addresses.length) return;
    this.samplesAtTest.delete(step);
    // As result.json reads a test (the same function).
    const reading = readTest(this.task, (d, a) => test.codes.get(`${d}:${a}`), `test step ${step}`);
    const k = this.task.outputs;
    reading.outputs.forEach((output_V, i) => {
      const d = Math.floor(i / k);
      // A multi-output task tags each output; a single-output one keeps its series as they were.
      const tags: TagSet = { datapoint: String(d), inputs: this.inputsTag[d], copy: 'free', ...(k === 1 ? {} : { output: String(i % k) }) };
      out.push(this.point(MEASUREMENTS.output, tags, { output_V, label_V: labels[i], error_V: output_V - labels[i] }, test.t_ns, step));
    });
    const fields: Record<string, number> = { mse_V2: reading.mse };
    if (reading.heldOutMse !== undefined) fields.heldOutMse_V2 = reading.heldOutMse;
    if (reading.accuracy !== undefined) fields.accuracy = reading.accuracy;
    if (reading.heldOutAccuracy !== undefined) fields.heldOutAccuracy = reading.heldOutAccuracy;
    for (const [name, value] of Object.entries(reading.modes)) fields[modeField(name)] = value;
    out.push(this.point(MEASUREMENTS.error, {}, fields, test.t_ns, step));
  }

  private point(measurement: MeasurementName, tags: TagSet, fields: FieldSet, t_ns: number, step: number): Point {
    return { measurement, tags: { ...this.base, ...tags }, fields: { ...fields, t_s: t_ns / 1e9, step }, time_us: pointTime_us(this.start_ms, t_ns) };
  }
}
