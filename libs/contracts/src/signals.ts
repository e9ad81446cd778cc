/**
 * One typed, versioned message per hardware signal (paper Fig. 1, 7, 9, Appendix E).
 * A signal is read-only data: `{ type, meta, data }`. Past tense: each says what happened
 * on a wire. Every signal carries the run id, simulated time in integer nanoseconds (the
 * learning time so far: t_h per training step, frozen during tests) and a per-run,
 * per-source sequence number, so a log proves nothing was lost or applied twice.
 */
import type { AdapterChoice, Experiment } from './experiment';

/**
 * 5: several outputs. RunCreated's experiment may list its outputs (roles.output a list) with
 * one label per output per datapoint (dataset.labels datapoint-major), the patch map has one
 * label line per output, and the DAC is a chain of 8-channel boards (up to DAC_CHANNEL_COUNT);
 * StateSnapshot may carry the learning circuits' charging energy so far.
 * 4: the compact log. GatesEvolved acknowledges a step without its gates; the edge physics
 * logs StateSnapshot (gates and every Newton warm start) every schedule.snapshotEvery steps
 * and after the last, and replay, verify and restarts re-drive from the nearest one.
 * 3: RunCancelled and RunResumed (a user stops a run, and continues it later), RunFaulted (a
 * service could not handle a run's signal and quarantined the run); a contract-2
 * log is read as it is (its type indices are the first 19 of these).
 * 2: RunCreated carries the typed experiment (with its rig) and this number; PortBound;
 * NodesSettled may report a failed solve; DacWritten carries one latch of several channels;
 * LearningEnabled is the whole learn-enable pulse (LearningDisabled is gone); WarmStartSaved and GatesEvolved's warm starts are gone.
 * Log records store a type's index, so a log is read only by the contract that wrote it.
 */
export const CONTRACT_VERSION = 5;
/** Contract versions whose logs this metatwin reads (each later one only appends signal types). */
export const READABLE_CONTRACTS: ReadonlyArray<number> = [2, 3, 4, 5];

export const SOURCES = ['supervisor', 'edge-physics', 'clamping', 'measurement'] as const;
export type Source = (typeof SOURCES)[number];

export interface SignalMeta {
  readonly v: typeof CONTRACT_VERSION;
  readonly runId: string;
  readonly source: Source;
  /** 1, 2, 3, … per (run, source). */
  readonly seq: number;
  /** Simulated learning time (ns). */
  readonly t_ns: number;
}

/** One DAC channel set to a code. */
export interface DacChannelWrite {
  readonly channel: number;
  readonly code: number;
  readonly volts?: number;
}

export type PatchTargetData = { readonly kind: 'node'; readonly node: number } | { readonly kind: 'label'; readonly output: number };

/** Data of each signal type. */
export interface SignalData {
  /** supervisor: a run begins; carries the full experiment so the log alone can rebuild it. */
  RunCreated: {
    /** The contract version the run's log is written in (CONTRACT_VERSION). */
    readonly contract: number;
    readonly experiment: Experiment;
    readonly mode: 'embedded' | 'distributed';
    /** Wall-clock start (ms since the epoch), from the host: time series stamp start + simulated time. */
    readonly startedAt_ms?: number;
  };
  /** supervisor: the run ended normally after `steps` training steps. */
  RunFinished: { readonly steps: number };
  /** supervisor: the run stopped early. */
  RunAborted: { readonly reason: string; readonly step: number };
  /** supervisor → clamping: the digital potentiometer's wiper (AD5220, 128 positions) for η. */
  PotentiometerSet: { readonly position: number; readonly positions: number; readonly eta: number };
  /** person/supervisor: which DAC channel drives which node or label line. */
  PatchMapSet: { readonly channels: ReadonlyArray<PatchTargetData> };
  /** supervisor: training step `step` (0-based) applies datapoint `datapoint`. */
  StepStarted: { readonly step: number; readonly datapoint: number };
  /**
   * supervisor → DAC: one latch of the shift registers, setting one or more channels (8 per
   * board, boards chained) to 8-bit codes. `volts` is present only when the experiment turns DAC
   * quantisation off (an ideal DAC, a simulation idealisation).
   */
  DacWritten: { readonly writes: ReadonlyArray<DacChannelWrite> };
  /**
   * supervisor → every twin edge: one pulse of the global learn-enable line — on at the
   * signal's time, off again `duration_ns` later (timed by the controller) — while which the
   * gates may evolve; learning is frozen outside pulses.
   */
  LearningEnabled: { readonly step: number; readonly duration_ns: number };
  /** edge-physics → clamping: the free network's output node voltages. */
  FreeOutputMeasured: { readonly step: number; readonly substep: number; readonly outputs_V: ReadonlyArray<number> };
  /** clamping → edge-physics: clamped output voltages (V), or injected currents (A) for EP. */
  ClampOutputSet: { readonly step: number; readonly substep: number; readonly drives: 'voltage' | 'current'; readonly values: ReadonlyArray<number> };
  /**
   * edge-physics: training step `step` is done (the datapoint it trained), or why it failed.
   * Runs of contracts 2 and 3 carry the gates after every step here (exact float64, base64);
   * from contract 4 they are in StateSnapshot every snapshotEvery steps, and any step's gates
   * are re-driven from the nearest snapshot before it.
   */
  GatesEvolved: { readonly step: number; readonly gates?: string; readonly datapoint?: number; readonly failed?: string };
  /** supervisor: learning frozen, every datapoint will be measured. */
  TestStepStarted: { readonly step: number };
  /** supervisor: during a test step, datapoint `datapoint`'s inputs are on the DAC; the network settles. */
  TestDatapointApplied: { readonly step: number; readonly datapoint: number };
  /** edge-physics: node voltages of the free network with a test datapoint applied (what the buffers see). */
  NodesSettled: {
    readonly step: number;
    readonly datapoint: number;
    readonly free_V: ReadonlyArray<number>;
    readonly gates: string;
    readonly failed?: string;
    /** The clamped copy's node voltages, where the network is on hardware and its ADC read them (the clamp holding its outputs). */
    readonly clamped_V?: ReadonlyArray<number>;
  };
  /** supervisor → demux: 5-bit address selecting one node and one gate. */
  DemuxSelected: { readonly step: number; readonly datapoint: number; readonly address: number };
  /** measurement → supervisor: ADC codes of the selected node and gate, averaged over repeats. */
  AdcSampled: { readonly step: number; readonly datapoint: number; readonly address: number; readonly nodeCode: number; readonly gateCode: number; readonly repeats: number };
  /** supervisor: the test step is complete. */
  TestStepFinished: { readonly step: number };
  /** any service, after (re)starting and rebuilding its state from the log: what it needs next. */
  ServiceStarted: { readonly service: Source; readonly resumeFrom: number };
  /** any service, when it takes on a run: the adapter its port runs on for that run (sim, mirror, bridge:…). */
  PortBound: { readonly service: Source; readonly adapter: AdapterChoice };
  /** supervisor: a user cancelled the run after `step` training steps were acknowledged; it may be resumed. */
  RunCancelled: { readonly step: number; readonly reason: string };
  /** supervisor: a cancelled or interrupted run goes on, from training step `step`. */
  RunResumed: { readonly step: number };
  /** any service: handling one of the run's signals failed (the reason); it no longer takes part in the run, and the supervisor aborts it. */
  RunFaulted: { readonly service: Source; readonly reason: string };
  /**
   * edge-physics: its whole state after training step `step` (the learning time is the
   * signal's t_ns): the gates, and every warm-start slot's free then clamped node voltages
   * (float64, base64; NaN where a slot was never solved). Re-driving the logged signals from
   * here reproduces the run bit for bit; `warm` is empty when the adapter cannot save it (a
   * bridge), and then only the gates are known.
   */
  StateSnapshot: {
    readonly step: number;
    readonly gates: string;
    readonly warm: string;
    /** Charging energy dissipated in every learning circuit's R0 so far (J, Eq. D1); absent from a bridge, which cannot know it (contract 5). */
    readonly learningEnergy_J?: number;
  };
}

export type SignalType = keyof SignalData;
export const SIGNAL_TYPES = [
  'RunCreated',
  'RunFinished',
  'RunAborted',
  'PotentiometerSet',
  'PatchMapSet',
  'StepStarted',
  'DacWritten',
  'LearningEnabled',
  'FreeOutputMeasured',
  'ClampOutputSet',
  'GatesEvolved',
  'TestStepStarted',
  'TestDatapointApplied',
  'NodesSettled',
  'DemuxSelected',
  'AdcSampled',
  'TestStepFinished',
  'ServiceStarted',
  'PortBound',
  'RunCancelled',
  'RunResumed',
  'RunFaulted',
  'StateSnapshot',
] as const satisfies ReadonlyArray<SignalType>;

/**
 * Provenance: which subsystem emits each signal — the hardware's wiring, and the one table
 * every check of who-may-send-what reads (checkSignal, the log-first bus, the NATS
 * permissions, docs/contracts.md). A signal from anyone else is rejected. 'any' = each service
 * about itself only: for those (SELF_REPORTED) data.service must be the sender, so no service
 * can announce another's restart, port or fault.
 */
export const EMITTER: { readonly [T in SignalType]: Source | 'any' } = {
  RunCreated: 'supervisor',
  RunFinished: 'supervisor',
  RunAborted: 'supervisor',
  PotentiometerSet: 'supervisor',
  PatchMapSet: 'supervisor',
  StepStarted: 'supervisor',
  DacWritten: 'supervisor',
  LearningEnabled: 'supervisor',
  FreeOutputMeasured: 'edge-physics',
  ClampOutputSet: 'clamping',
  GatesEvolved: 'edge-physics',
  TestStepStarted: 'supervisor',
  TestDatapointApplied: 'supervisor',
  NodesSettled: 'edge-physics',
  DemuxSelected: 'supervisor',
  AdcSampled: 'measurement',
  TestStepFinished: 'supervisor',
  ServiceStarted: 'any',
  PortBound: 'any',
  RunCancelled: 'supervisor',
  RunResumed: 'supervisor',
  RunFaulted: 'any',
  StateSnapshot: 'edge-physics',
};

/** The signals any service sends, each about itself (data.service is the sender). */
export const SELF_REPORTED = ['ServiceStarted', 'PortBound', 'RunFaulted'] as const satisfies ReadonlyArray<SignalType>;

/** Whether `source` may send a signal of `type` (EMITTER; a self-reported one must also name the sender, which checkSignal checks). */
export function mayEmit(source: Source, type: SignalType): boolean {
  const emitter = EMITTER[type];
  return emitter === 'any' || emitter === source;
}

export type Signal<T extends SignalType = SignalType> = T extends SignalType ? { readonly type: T; readonly meta: SignalMeta; readonly data: SignalData[T] } : never;

/**
 * Why a logged run cannot be read by this contract (its records are typed by index, and the
 * indices change between versions), or null when it can. Contract 1 logs carried no number.
 */
export function unreadableRun(created: Signal<'RunCreated'>): string | null {
  const v = (created.data as { contract?: unknown }).contract ?? 1;
  return READABLE_CONTRACTS.includes(v as number)
    ? null
    : `run ${created.meta.runId} was recorded in contract version ${String(v)}; this metatwin reads versions ${READABLE_CONTRACTS.slice(0, -1).join(', ')} and ${READABLE_CONTRACTS[READABLE_CONTRACTS.length - 1]} (run it again to record it anew)`;
}

/** Byte views of arrays encoded before: the edge physics encodes its same gate array every step. */
const byteViews = new WeakMap<Float64Array, Buffer>();

/** Encode a Float64Array exactly as base64 (little-endian IEEE 754). */
export function encodeFloat64(values: Float64Array): string {
  let bytes = byteViews.get(values);
  if (bytes === undefined || bytes.buffer !== values.buffer) {
    bytes = Buffer.from(values.buffer, values.byteOffset, values.byteLength);
    byteViews.set(values, bytes);
  }
  return bytes.toString('base64');
}

export function decodeFloat64(text: string): Float64Array {
  const bytes = Buffer.from(text, 'base64');
  if (bytes.byteLength % 8 !== 0) throw new RangeError(`float64 payload of ${bytes.byteLength} bytes is not a whole number of values`);
  const out = new Float64Array(bytes.byteLength / 8);
  new Uint8Array(out.buffer).set(bytes);
  return out;
}

/**
 * The stored form of a signal inside a log batch, whose header already names the run and
 * source: `[type index, seq, t_ns, data]`. About half the size of the wire form, which
 * matters at 10⁵–10⁶ signals per run.
 */
export type SignalRecord = readonly [number, number, number, unknown];

const TYPE_INDEX: Readonly<Record<string, number>> = Object.fromEntries(SIGNAL_TYPES.map((t, i) => [t, i]));

export function toRecord(s: Signal): SignalRecord {
  return [TYPE_INDEX[s.type], s.meta.seq, s.meta.t_ns, s.data];
}

export function fromRecord(r: unknown, runId: string, source: Source): Signal {
  if (!Array.isArray(r) || r.length !== 4) throw new RangeError(`log record must be [type, seq, t_ns, data], got ${JSON.stringify(r)?.slice(0, 60)}`);
  const type = SIGNAL_TYPES[r[0] as number];
  if (type === undefined) throw new RangeError(`log record has unknown signal type index ${r[0]}`);
  return { type, meta: { v: CONTRACT_VERSION, runId, source, seq: r[1] as number, t_ns: r[2] as number }, data: r[3] } as Signal;
}
