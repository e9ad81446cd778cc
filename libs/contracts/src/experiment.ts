/**
 * An experiment, fully resolved: every default filled in, files (network, CSV dataset)
 * loaded, so the object in RunCreated and result.json is exactly what ran. The types live
 * with the contracts because RunCreated carries one: every service, the log and any bridge
 * firmware read the same shape. `parseExperiment` (libs/experiments) is the only way in.
 */
import type { Source } from './signals';

/** Coupled Learning (Eq. 6), differential (Eq. 7), Equilibrium Propagation (App. F). */
export type ClampLaw =
  /** Coupled Learning, Eq. 6: O^C = ηL + (1 − η)O per output node. η = 1 is Contrastive Hebbian. */
  | { readonly kind: 'coupled'; readonly eta: number }
  /** Differential Coupled Learning, Eq. 7: O = O+ − O−, O±^C = O± ± (η/2)(L − O). Output nodes come in (+, −) pairs. */
  | { readonly kind: 'differential'; readonly eta: number }
  /** Equilibrium Propagation, Eq. F2: a current β(L − O) injected at each output node (β in siemens). */
  | { readonly kind: 'equilibrium-propagation'; readonly beta_S: number }
  /** Differential Equilibrium Propagation: ±(β/2)(L − (O+ − O−)) into the (+, −) pair, mirroring Eq. 7. */
  | { readonly kind: 'differential-equilibrium-propagation'; readonly beta_S: number };

export interface Mismatch {
  /** σ of VTO per transistor (V); the published reproduction used 10 mV. */
  readonly vtoSigma_V: number;
  /** Relative σ of KP per transistor; the published reproduction used 0.5 %. */
  readonly kpRelSigma: number;
}

export interface DamageEvent {
  readonly edge: number;
  readonly kind: 'open' | 'short';
  /** Learning time from which the edge is damaged (s). */
  readonly at_s: number;
}

/**
 * The learning circuit as its stages (Appendix B, Fig. 7, Eq. B2) rather than one constant:
 * op-amps amplify the edge's free and clamped drops (gain 1 + 100k/10k = 11, halved by the
 * averaging: 5.5) into the multiplier's inputs X = gain·(V_F + V_C + offset) and
 * Y = gain·(V_F − V_C + offset); the multiplier (AD633) gives X·Y/V⊗ plus its output
 * offset, driving (W − Z)/R0 into C0. Nominally V0 = V⊗/gain² ≈ 0.33 V. Each σ draws one
 * fixed value per edge from the run's seed ("imperfection in the update circuitry").
 */
export interface LearningStages {
  /** Gain from a drop to a multiplier input (5.5 in the paper's circuit). */
  readonly gain: number;
  /** The multiplier's scale V⊗ (V): the AD633's 10 V. */
  readonly multiplierScale_V: number;
  /** σ of each multiplier input's gain, relative (resistor tolerances). */
  readonly gainSigmaRel: number;
  /** σ of each multiplier input's offset, referred to the drops (V): the op-amps' input offset. */
  readonly inputOffsetSigma_V: number;
  /** σ of each edge's multiplier scale, relative. */
  readonly scaleSigmaRel: number;
  /** σ of each multiplier's output offset (V). */
  readonly outputOffsetSigma_V: number;
}

export interface LearningCircuit {
  /** Amalgamated gain constant V0 (V), Eq. B2: (10k/(10k+100k)·2)²·10 V ≈ 0.33 V. */
  readonly v0_V: number;
  /** Charging resistor R0 (Ω). */
  readonly r0_Ohm: number;
  /** Gate capacitor C0 (F). */
  readonly c0_F: number;
  /** Diode floor of the gate voltage (V): the G_min source the floor diode hangs from. */
  readonly gMin_V: number;
  /**
   * How the floor holds the gate: `clip` (default) a hard bound at gMin_V; `diode` the
   * hardware's 1N4148 from the gMin_V source (Appendix B, Fig. 7), a soft knee that lets a
   * gate pushed down settle a diode drop below gMin_V.
   */
  readonly floor?: 'clip' | 'diode';
  /**
   * Learn-enable off per training step (s): the control hardware's share of a step (the paper:
   * about as long as t_h), while the switch shunts the learning current away. Only the floor
   * diode acts on the gates then. Unset: t_h.
   */
  readonly offPerStep_s?: number;
  /** Upper rail of the gate voltage (V): the multiplier's 10 V scale, the gate ADC's full scale. */
  readonly gMax_V: number;
  /** The circuit as its stages, each edge's own (v0_V is then V⊗/gain²); absent: v0_V alone, the same for every edge. */
  readonly stages?: LearningStages;
  /**
   * σ of each edge's learn-enable time per step, relative to the step's t_h: the switches
   * do not open and close together (each edge's own draw, every step); absent or 0: all at once.
   */
  readonly enableJitterRel?: number;
}

/**
 * Which adapter drives a subsystem's port: `sim` (the physics model), `mirror` (echoes
 * commands with fixed answers, for plumbing tests) or `bridge:<address>` (real hardware
 * through the I/O controller, e.g. `bridge:/dev/ttyACM0` or `bridge:tcp://host:port`).
 */
export type AdapterChoice = 'sim' | 'mirror' | `bridge:${string}`;

/** The adapter of every subsystem for one run. */
export type RigChoice = { readonly [S in Source]: AdapterChoice };

export type NetworkSpec =
  | { readonly kind: 'lattice'; readonly rows: number; readonly cols: number; readonly periodic: boolean }
  | { readonly kind: 'edges'; readonly nodes: number; readonly edges: ReadonlyArray<readonly [number, number]> };

export interface TransistorSpec {
  /** The card the values below started from ('default' or 'ald1106-fitted'). */
  readonly card: 'default' | 'ald1106-fitted';
  readonly vto_V: number;
  /** beta = KP·W/L (A/V²). */
  readonly k_AperV2: number;
  readonly gamma_sqrtV: number;
  readonly phi_V: number;
  readonly lambda_perV: number;
}

/** One task output: a node, or a (+, −) pair whose difference is the output (Eq. 7). */
export type OutputSpec = { readonly node: number } | { readonly plus: number; readonly minus: number };

export interface Roles {
  /** Variable input nodes, in dataset column order. */
  readonly inputs: number[];
  /** Constant rails. */
  readonly rails: ReadonlyArray<{ readonly node: number; readonly volts: number }>;
  /**
   * The task's output, or (contract 5) a list of them, all of one kind: a multi-output task
   * such as classification by differential outputs, one output per class.
   */
  readonly output: OutputSpec | ReadonlyArray<OutputSpec>;
}

export interface Dataset {
  /** Per datapoint, one voltage per input node (V). */
  readonly inputs: number[][];
  /**
   * The labels (V), datapoint-major: datapoint d's label for output k is labels[d·K + k],
   * K = outputCount. One per datapoint for a single-output task.
   */
  readonly labels: number[];
  /**
   * The first this many datapoints are trained on; the rest are held out: never trained on,
   * measured at every test step like the others. Absent: every datapoint is trained on.
   */
  readonly trainingPoints?: number;
  /** A classification's class names, one per output (e.g. Iris' species); absent: outputs are numbered. */
  readonly classNames?: ReadonlyArray<string>;
}

/** How many datapoints training draws from (the leading ones; the rest are held out). */
export function trainingPointCount(dataset: Dataset): number {
  return dataset.trainingPoints ?? dataset.inputs.length;
}

export interface Schedule {
  /** Learning time per step (s); the paper's t_h = 100 µs. */
  readonly t_h_s: number;
  readonly steps: number;
  /** 'random': a seeded random datapoint each step (XOR); 'ordered': cycle in order (regression). */
  readonly order: 'random' | 'ordered';
  /** A test step (learning frozen, every datapoint measured) every this many steps; also at 0 and at the end. */
  readonly testEvery: number;
  /** Euler substeps per t_h in which voltages and the clamp follow the gates. */
  readonly substeps: number;
  /**
   * The edge physics logs its whole state (StateSnapshot) after every this many training
   * steps and after the last: replay, resume and restarts re-drive from the nearest one.
   * Absent in runs recorded before contract 4 (their GatesEvolved carry every step's gates).
   */
  readonly snapshotEvery?: number;
}

/** schedule.snapshotEvery when an experiment file leaves it out. */
export const DEFAULT_SNAPSHOT_EVERY = 1000;

export interface Quantisation {
  /** Apply inputs, rails and labels through the 8-bit DAC. */
  readonly dac: boolean;
  /** Measure through the 8-bit ADC. */
  readonly adc: boolean;
  /** ADC repeats averaged per reading. */
  readonly adcRepeats: number;
}

/** One network copy's transistors, per edge: VTO (V) and k = KP·W/L (A/V²). */
export interface CopyTransistors {
  readonly vto_V: ReadonlyArray<number>;
  readonly k_AperV2: ReadonlyArray<number>;
}

/**
 * A particular chip's per-edge parameters (a chip file, `metatwin calibrate` writes one): where
 * given they replace the card and the drawn mismatch (and the drawn learning offsets).
 */
export interface ChipSpec {
  readonly free: CopyTransistors;
  /** Null: the clamped copy is the card with the drawn mismatch (calibration did not see it). */
  readonly clamped: CopyTransistors | null;
  /** Per-edge learning-rule offsets (V²); null: drawn from learningOffsetSigma_V2. */
  readonly learningOffsets_V2: ReadonlyArray<number> | null;
}

export interface Imperfections {
  readonly mismatch: Mismatch | null;
  /** A chip's own parameters (from a chip file); absent: the card with the drawn mismatch. */
  readonly chip?: ChipSpec;
  /** σ of the per-edge learning-rule offset (V², added to V_F² − V_C²). */
  readonly learningOffsetSigma_V2: number;
  /** σ of ADC read-out noise per repeat (V). */
  readonly readoutNoiseSigma_V: number;
  readonly damage: ReadonlyArray<DamageEvent>;
}

/** What the run's report and summary show beyond the defaults; nothing here changes the physics. */
export interface ReportSettings {
  /**
   * Learning times (s) of the snapshots the report's output and network figures show, ascending;
   * absent: chosen from the run (its first test, the error modes' half-times, its last).
   */
  readonly snapshots_s?: ReadonlyArray<number>;
  /**
   * Op-amp and multiplier power per edge while learning (W; the paper's Appendix D: ~0.1 W):
   * given, the summary adds that energy beside Eq. D1's charging energy; absent: left out.
   */
  readonly opAmpPowerPerEdge_W?: number;
}

export interface Experiment {
  readonly name: string;
  readonly description: string;
  readonly seed: number;
  readonly network: NetworkSpec;
  readonly transistor: TransistorSpec;
  /** Initial gate per edge (V). */
  readonly initialGates_V: number[];
  readonly roles: Roles;
  readonly dataset: Dataset;
  readonly clamp: ClampLaw;
  readonly schedule: Schedule;
  readonly learning: LearningCircuit;
  readonly quantisation: Quantisation;
  readonly imperfections: Imperfections;
  /** Which adapter each subsystem runs on (default sim everywhere). */
  readonly rig: RigChoice;
  /** Report and summary settings (contract 5: absent in earlier runs, and when a file gives none). */
  readonly report?: ReportSettings;
}

/** The task's outputs, in label order (one for a single-output task). */
export function outputSpecs(roles: Pick<Roles, 'output'>): ReadonlyArray<OutputSpec> {
  const o = roles.output;
  return isOutputList(o) ? o : [o];
}

function isOutputList(o: Roles['output']): o is ReadonlyArray<OutputSpec> {
  return Array.isArray(o);
}

/** How many outputs (and labels per datapoint) the task has. */
export function outputCount(exp: Pick<Experiment, 'roles'>): number {
  return outputSpecs(exp.roles).length;
}

/** Whether the outputs are (+, −) pairs read as O = O+ − O− (every output is of one kind). */
export function isDifferential(roles: Pick<Roles, 'output'>): boolean {
  return 'plus' in outputSpecs(roles)[0];
}

/** Output nodes in the twin, in label order: [node, …] or [plus, minus, plus, minus, …]. */
export function outputNodes(exp: Pick<Experiment, 'roles'>): number[] {
  return outputSpecs(exp.roles).flatMap((o) => ('plus' in o ? [o.plus, o.minus] : [o.node]));
}

/** Datapoint d's labels, one per output (V). */
export function labelsOf(exp: Pick<Experiment, 'roles' | 'dataset'>, d: number): number[] {
  const k = outputCount(exp);
  return exp.dataset.labels.slice(d * k, d * k + k);
}

/** Nodes per copy of the network. */
export function nodeCount(spec: NetworkSpec): number {
  return spec.kind === 'lattice' ? spec.rows * spec.cols : spec.nodes;
}

/** Whether the clamp holds voltages (Coupled Learning) or injects currents (EP). */
export function clampDrives(law: ClampLaw): 'voltage' | 'current' {
  return law.kind === 'coupled' || law.kind === 'differential' ? 'voltage' : 'current';
}
