/**
 * What a run writes to DIR/result.json. Plain JSON numbers (volts, seconds, watts), so the
 * file is the contract between the runner, the report and anyone analysing runs later.
 * A run has one task output, single-ended or differential (O = O+ − O−), or several (a
 * classification, one output per class); per-datapoint arrays of outputs and labels are then
 * datapoint-major (output k of datapoint d at d·K + k).
 */
import type { Experiment, Roles } from './experiment';

export interface NetworkJson {
  readonly nodeCount: number;
  readonly edges: ReadonlyArray<readonly [number, number]>;
  readonly lattice?: { readonly rows: number; readonly cols: number; readonly periodic: boolean };
}

export interface LogEntry {
  /** Learning time at this test step (s): time spent with learn-enable on. */
  readonly t_s: number;
  /** Training steps done before this test step. */
  readonly step: number;
  /** Measured output per datapoint (V), through the ADC model; per datapoint and output when several. */
  readonly outputs: number[];
  /** Mean squared error over the datapoints trained on (V²). */
  readonly mse: number;
  /** Mean squared error over the held-out datapoints (V²), when the dataset holds some out. */
  readonly heldOutMse?: number;
  /** Multi-output tasks: fraction of training datapoints whose highest output is their class's. */
  readonly accuracy?: number;
  /** Multi-output tasks with held-out datapoints: the same over those. */
  readonly heldOutAccuracy?: number;
  /** Signed error modes (V) keyed by name (E0, E1, … or E00, E01, E10, E11); none for a multi-output task. */
  readonly modes: Record<string, number>;
  /** Gate voltage per edge (V), exact (not quantised), for the network figures. */
  readonly gates_V: number[];
}

export interface RunSummary {
  readonly mseStart: number;
  readonly mseEnd: number;
  /** mseStart / mseEnd. */
  readonly mseFall: number;
  /** First learning time at which |mode| fell below half its initial magnitude, or null. */
  readonly modeHalfTimes_s: Record<string, number | null>;
  /** Modes in the order they fell (modes that never fell are left out). */
  readonly modeOrder: string[];
  /** Whether the modes fell in the expected order (by name order for 1 input; E00 first, E11 last for 2). */
  readonly modesInOrder: boolean;
  /** Two-input binary tasks (XOR): final outputs on the correct side of L0/2 for every datapoint. */
  readonly truthTableCorrect?: boolean;
  /** Multi-output tasks (classification): accuracy at the first and last test, and on held-out datapoints. */
  readonly classification?: {
    readonly classes: number;
    readonly accuracyStart: number;
    readonly accuracyEnd: number;
    readonly heldOutAccuracyStart?: number;
    readonly heldOutAccuracyEnd?: number;
    readonly heldOutMseEnd?: number;
  };
  /** Whether the run counts as learned by the task's criterion (see README). */
  readonly learned: boolean;
}

export interface RunResult {
  readonly kind: 'run';
  readonly name: string;
  readonly seed: number;
  readonly steps: number;
  readonly wall_s: number;
  readonly experiment: Experiment;
  readonly network: NetworkJson;
  /** Node roles: variable inputs, constant rails, output (single node or + / − pair, or a list of them). */
  readonly roles: Roles;
  /** Variable-input voltages per datapoint (V), as applied (after DAC quantisation). */
  readonly inputs: number[][];
  /** Label per datapoint (V), as applied; per datapoint and output when several. */
  readonly labels: number[];
  readonly modeNames: string[];
  readonly log: LogEntry[];
  readonly final: {
    readonly outputs: number[];
    readonly gates_V: number[];
    /** Free-network inference power per datapoint, summed over edges (W). */
    readonly power_W: number[];
    /** Mean over datapoints of the power per edge (W). */
    readonly powerPerEdge_W: number[];
    /** Mean inference energy per edge (J): power × τ_V. */
    readonly energyPerEdge_J: number;
    /** Mean conductance I/ΔV per edge over datapoints (S). */
    readonly conductance_S: number[];
    /** Edges joining two held nodes (inputs, rails), whose power the sources alone set; absent in results from before it was kept. */
    readonly heldEdges?: number[];
    /** Charging energy dissipated in the learning circuits' R0 over the run (J, Eq. D1); absent when the network ran on hardware. */
    readonly learningEnergy_J?: number;
  };
  readonly summary: RunSummary;
  /** Only when a subsystem ran on hardware (a bridge): how close the run kept to hardware time. */
  readonly pacing?: Pacing;
}

/**
 * A run with any subsystem on hardware keeps hardware time (t_h per learn pulse, on the
 * controller): how close it came, measured by the host on its wall clock.
 */
export interface Pacing {
  /** Training steps acknowledged while the host measured (a resumed run: since it resumed). */
  readonly steps: number;
  /** Learning time of those steps, steps × t_h (s). */
  readonly learning_s: number;
  /** Wall time from the run's start (or resumption) to its last acknowledged training step (s). */
  readonly wall_s: number;
  /** learning_s / wall_s: at most 1 on hardware (a step takes at least t_h), 1 being the network's own pace. */
  readonly realTimeFactor: number;
  /** The step period: wall-clock interval between consecutive acknowledged training steps (µs). */
  readonly stepPeriod_us: { readonly mean: number; readonly std: number; readonly p50: number; readonly p99: number; readonly max: number };
  /** How far the learn pulses ran over what was asked, as the controller timed them (µs); absent when no bridge in this process pulsed. */
  readonly pulseOverrun_us?: { readonly count: number; readonly mean: number; readonly max: number };
}

export interface FamilyResult {
  readonly kind: 'family';
  readonly name: string;
  readonly seed: number;
  readonly wall_s: number;
  readonly tasks: RunResult[];
  /** Tasks whose modes fell in order, out of tasks.length. */
  readonly inOrder: number;
}

export type ResultFile = RunResult | FamilyResult;

/** A run's progress, as reported while it runs. */
export interface Progress {
  readonly step: number;
  readonly steps: number;
  readonly t_s: number;
  readonly mse: number;
  readonly wall_s: number;
}
