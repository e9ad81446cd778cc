// The four subsystems hosted on a bus: the adapter factory, the decider host, the embedded runner, recovery, the run fold and replay.
export { DeciderHost, type Binding, type HostOptions, type Subsystem } from './host';
export {
  ADAPTER_ENV,
  AdapterError,
  assertPinnedBuildable,
  bindPort,
  createClampingHost,
  createEdgePhysicsHost,
  createHost,
  createMeasurementHost,
  createSupervisorHost,
  resolveAdapter,
  resolveRig,
  type AnyHost,
  type ClampingHost,
  type EdgePhysicsHost,
  type Env,
  type HostConfig,
  type MeasurementHost,
  type SupervisorHost,
} from './factory';
export { RUN_FOLD_TYPES, RunAssembler } from './assemble';
export { StepPacer, onHardware, type Pacing } from './pacing';
export { RunCancelledError, RunFailedError, runEmbedded, type EmbeddedOptions, type SignalRecorder } from './embedded';
export { CAUSAL_RANK, LogRecorder, readRunSignals } from './recorder';
export { recoverRun, type Recovered } from './recovery';
export { readRunTail, type RunTail } from './tail';
export { foldRunSignals, gatesAfter, latestSnapshot, redriveEdge, type RedriveOptions, type Redriven } from './redrive';
export { ReplayError, replayAt, verifyRun, type ReplayState, type VerifyReport } from './replay';
export { CalibrationError, calibrationRun, fitChip, type CalibrationPoint, type CalibrationRun, type ChipFit, type CopyFit, type OffsetFit } from './calibrate';
export { MEASURED_SIGNALS, compareRun, type CompareOptions, type CompareReport, type MeasuredSignal, type ResidualStats } from './compare';
export { catalogueEnd, damage, processGone, runEntry, type RunState } from './catalogue';
export { ReplayMismatchError, damageAndRetrain, damageSchedule, type DamageRetrainOptions, type DamageRetrainResult } from './damage-retrain';
