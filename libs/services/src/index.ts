// The four subsystems as signal-driven cores, the run fold, and the embedded runner.
export { Core, stepTime_ns, type Publish } from './core';
export { SupervisorCore, type RunProgress } from './supervisor-core';
export { EdgePhysicsCore } from './edge-physics-core';
export { ClampingCore } from './clamping-core';
export { MeasurementCore } from './measurement-core';
export { RunAssembler } from './assemble';
export { RunFailedError, runEmbedded, type EmbeddedOptions, type SignalRecorder } from './embedded';
export { CAUSAL_RANK, LogRecorder, readRunSignals } from './recorder';
export { ReplayError, replayAt, verifyRun, type ReplayState, type VerifyReport } from './replay';
