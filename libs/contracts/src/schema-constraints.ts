/**
 * What the published JSON Schema (docs/signals.schema.json, scripts/contract-schema.ts)
 * states beyond the TypeScript types: TypeScript has one `number` and no ranges, so the
 * integer-ness and bounds that checkSignal (validate.ts) enforces are listed here, from the
 * same constants, field by field. Keyed by the contract's own field names, so renaming a
 * field in SignalData without updating this table does not compile; a range changed in
 * validate.ts but not here is caught by libs/contracts/src/schema.spec.ts, which runs both
 * checkers over the same boundary values.
 *
 * Pure data: nothing here imports a schema library.
 */
import { CONTRACT_VERSION, type SignalData, type SignalMeta, type SignalType } from './signals';
import { ADC_CODE_MAX, BASE64_PATTERN, DAC_CHANNEL_COUNT, DAC_CODE_MAX, LEARN_PULSE_MAX_NS, MAX_ARRAY } from './validate';

/** The JSON Schema keywords this table uses (merged into the generated property schema). */
export interface SchemaFragment {
  /** 'integer' narrows the generated `number`. */
  readonly type?: 'integer';
  readonly const?: number;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly pattern?: string;
  readonly maxLength?: number;
  readonly minItems?: number;
  readonly maxItems?: number;
  /** An array whose items' `property` takes each of `values` at most once (JSON Schema: contains with maxContains 1, per value). */
  readonly uniqueKey?: { readonly property: string; readonly values: ReadonlyArray<number> };
  readonly contentEncoding?: 'base64';
  /** Appended to the field's description (what the TS doc comment does not say). */
  readonly note?: string;
}

/** validate.ts's STEP_MAX: step numbers, sequence numbers and times are safe integers. */
export const SAFE_INTEGER_MAX = Number.MAX_SAFE_INTEGER;

const count = (min: number, max: number): SchemaFragment => ({ type: 'integer', minimum: min, maximum: max });
const step = count(0, SAFE_INTEGER_MAX);
const datapoint = count(0, MAX_ARRAY);
const substep = count(0, 1 << 20);
const samples: SchemaFragment = { maxItems: MAX_ARRAY };
/** Exact float64 values, little-endian IEEE 754, base64 (encodeFloat64 / decodeFloat64). */
const float64Base64: SchemaFragment = {
  pattern: BASE64_PATTERN,
  maxLength: Math.floor((8 * MAX_ARRAY * 4) / 3),
  contentEncoding: 'base64',
  note: 'Base64 (RFC 4648, with padding) of little-endian IEEE 754 float64 values; the decoded length is a multiple of 8 bytes. Gates are finite (checkSignal decodes them); only StateSnapshot.warm may hold NaN, for slots never solved.',
};

/** Run ids: validate.ts's TOKEN (a NATS subject token and a file name). */
export const RUN_ID_PATTERN = '^[A-Za-z0-9_-]{1,128}$';

/** AdapterChoice (`'sim' | 'mirror' | \`bridge:${string}\``) as checkSignal reads it: the bridge address is not empty. */
export const ADAPTER_PATTERN = '^(sim|mirror|bridge:.+)$';

export const META_CONSTRAINTS: { readonly [K in keyof SignalMeta]?: SchemaFragment } = {
  runId: { pattern: RUN_ID_PATTERN },
  seq: count(1, SAFE_INTEGER_MAX),
  t_ns: count(0, SAFE_INTEGER_MAX),
};

export const DATA_CONSTRAINTS: { readonly [T in SignalType]: { readonly [K in keyof SignalData[T]]?: SchemaFragment } } = {
  RunCreated: { contract: { type: 'integer', const: CONTRACT_VERSION }, startedAt_ms: count(0, SAFE_INTEGER_MAX) },
  RunFinished: { steps: step },
  RunAborted: { step },
  RunCancelled: { step },
  RunResumed: { step },
  RunFaulted: { reason: { maxLength: 2000 } },
  StateSnapshot: { step, gates: float64Base64, warm: float64Base64, learningEnergy_J: { minimum: 0 } },
  PotentiometerSet: {
    positions: count(2, 1 << 16),
    position: { ...count(0, (1 << 16) - 1), note: 'At most positions − 1 (checked by checkSignal; JSON Schema cannot compare two fields).' },
    eta: { minimum: 0, maximum: 1 },
  },
  PatchMapSet: { channels: { maxItems: DAC_CHANNEL_COUNT } },
  StepStarted: { step, datapoint },
  DacWritten: {
    writes: {
      minItems: 1,
      maxItems: DAC_CHANNEL_COUNT,
      uniqueKey: { property: 'channel', values: Array.from({ length: DAC_CHANNEL_COUNT }, (_, c) => c) },
      note: 'One latch: each channel at most once.',
    },
  },
  LearningEnabled: {
    step,
    duration_ns: {
      ...count(1, LEARN_PULSE_MAX_NS),
      note: "One step's t_h (an experiment's schedule.t_h_s is at most 1 s); the receiving edge physics also checks it is this run's t_h.",
    },
  },
  FreeOutputMeasured: { step, substep, outputs_V: samples },
  ClampOutputSet: { step, substep, values: samples },
  GatesEvolved: { step, gates: float64Base64, datapoint },
  TestStepStarted: { step },
  TestDatapointApplied: { step, datapoint },
  NodesSettled: { step, datapoint, free_V: samples, gates: float64Base64, clamped_V: samples },
  DemuxSelected: { step, datapoint, address: count(0, MAX_ARRAY) },
  AdcSampled: {
    step,
    datapoint,
    address: count(0, MAX_ARRAY),
    nodeCode: { minimum: 0, maximum: ADC_CODE_MAX },
    gateCode: { minimum: 0, maximum: ADC_CODE_MAX },
    repeats: count(1, 1 << 20),
  },
  TestStepFinished: { step },
  ServiceStarted: { resumeFrom: step },
  PortBound: {},
};

/** Fields of shared definitions, by definition name and property (every branch of a union that has the property). */
export const DEFINITION_CONSTRAINTS: { readonly [def: string]: { readonly [property: string]: SchemaFragment } } = {
  DacChannelWrite: { channel: count(0, DAC_CHANNEL_COUNT - 1), code: count(0, DAC_CODE_MAX), volts: { minimum: -1, maximum: 1 } },
  PatchTargetData: { node: count(0, MAX_ARRAY), output: count(0, DAC_CHANNEL_COUNT) },
};
