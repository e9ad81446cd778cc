// Testing helpers for specs of deciders (import as @metatwin/contracts/testing; never from production code).
export { Outcome, Scenario, given, type StatePattern } from './decider-scenario';
export { THREE_OUTPUTS, XOR_EXPERIMENT, threeOutputExperiment, xorExperiment, type ExperimentPatch } from './experiment-fixture';
export { SignalStamper, TEST_RUN_ID, runCreated, signal, xorSetUpSignals, type Stamp } from './signal-builder';
export { expectFastPath } from './port-check';
export { checkLogBatches, formatFailures, signalValidators, type LogBatchLine, type LogCheck } from './schema-validation';
