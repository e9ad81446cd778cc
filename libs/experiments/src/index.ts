// Experiments: the schema of an experiment file, the paper's presets, and the embedded runner.
export type { FamilyResult, LogEntry, NetworkJson, ResultFile, RunResult, RunSummary } from './result';
export type { Dataset, Experiment, Imperfections, NetworkSpec, OutputSpec, Quantisation, Roles, Schedule, TransistorSpec } from './experiment';
export { ExperimentError } from './validate';
export { V_MAX, mergeExperimentInput, parseExperiment, type ParseContext } from './parse';
export { XOR_L0_V, piecewiseLinearDataset, xorDataset } from './datasets';
export { PRESET_NAMES, REGRESSION_TASK, regressionFamilyTasks, regressionPreset, xorPreset, type PresetName } from './presets';
export { isPresetName, parseExperimentText, planFromInput, presetInput, type Overrides, type Plan } from './load';
export { RNG_STREAM, buildNetwork, buildRig, buildTwin, rngStreams, type Rig } from './build';
export { adcConfig, channelWrite, dacConfig, outputNodes, patchMap } from './rig-parts';
export { datapointAt, testSteps } from './schedule';
export { RunAbortedError, finalState, freeConductances, measureOutputs, runExperiment, summarise, type Progress, type RunOptions } from './runner';
export { runFamily } from './family';
