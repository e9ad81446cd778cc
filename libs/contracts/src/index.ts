// Contracts: one typed, versioned message per hardware signal, its validation and the subjects.
export {
  CONTRACT_VERSION,
  EMITTER,
  SELF_REPORTED,
  SIGNAL_TYPES,
  SOURCES,
  decodeFloat64,
  encodeFloat64,
  fromRecord,
  mayEmit,
  toRecord,
  unreadableRun,
  type SignalRecord,
  type DacChannelWrite,
  type PatchTargetData,
  type Signal,
  type SignalData,
  type SignalMeta,
  type SignalType,
  type Source,
} from './signals';
export {
  ADC_CODE_MAX,
  DAC_CHANNEL_COUNT,
  DAC_CHANNELS_PER_BOARD,
  DAC_CODE_MAX,
  LEARN_PULSE_MAX_NS,
  checkSignal,
  decodeSignal,
  encodeSignal,
  isRunToken,
  type Checked,
} from './validate';
export { PRESENCE_EVERY_MS, PRESENCE_MISSING_AFTER_MS, SUBJECTS, parseLogSubject, type DeadLetter } from './subjects';
export { checkBatchProvenance, type ClaimedOrigin } from './provenance';
export type {
  AdapterChoice,
  ChipSpec,
  ClampLaw,
  CopyTransistors,
  DamageEvent,
  Dataset,
  Experiment,
  Imperfections,
  LearningCircuit,
  LearningStages,
  Mismatch,
  NetworkSpec,
  OutputSpec,
  Quantisation,
  ReportSettings,
  RigChoice,
  Roles,
  Schedule,
  TransistorSpec,
} from './experiment';
export { DEFAULT_SNAPSHOT_EVERY, clampDrives, isDifferential, labelsOf, nodeCount, outputCount, outputNodes, outputSpecs, trainingPointCount } from './experiment';
export { LATER, NO_OUTPUT, call, emit, isPending, stepTime_ns, type Completion, type Decider, type Emit, type Later, type Output, type PortCall } from './decider';
export { DEMUX_ADDRESS_BITS, decodeDemux, encodeDemux, type DemuxSelection } from './demux';
