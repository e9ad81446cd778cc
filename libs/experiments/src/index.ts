// Experiments: the schema of an experiment file, the paper's presets, and what a run's result is made of.
export type { FamilyResult, LogEntry, NetworkJson, Progress, ResultFile, RunResult, RunSummary } from './result';
export type { Dataset, Experiment, Imperfections, NetworkSpec, OutputSpec, Quantisation, Roles, Schedule, TransistorSpec } from './experiment';
export { ExperimentError, array, int, isObject, num, object, onlyKeys, str, type Json } from './validate';
export { CHIP_FORMAT, V_MAX, parseChip, mergeExperimentInput, parseAdapterChoice, parseExperiment, parseRig, type ParseContext } from './parse';
export { XOR_L0_V, piecewiseLinearDataset, xorDataset } from './datasets';
export {
  CALIBRATION_GATES_V,
  PRESET_NAMES,
  REGRESSION_TASK,
  chipCalibrationPreset,
  irisPreset,
  regressionFamilyTasks,
  regressionPreset,
  xorPaperPreset,
  xorPreset,
  type PresetName,
} from './presets';
export { isPresetName, parseExperimentText, planFromInput, presetInput, type Overrides, type Plan } from './load';
export { buildRig, rigAt, type Rig } from './build';
export { finalState, freeConductances } from './final-state';
export { summarise } from './summary';
export { accuracy, confusionMatrix, readTest, testTask, type TestReading, type TestTask } from './test-readout';
export { TopologyError, hierarchical, isConnected, latticeEdges, placeRoles, randomRegular, smallWorld, type Edge, type Placement } from './topologies';
export { INPUT_FILE_MAX_BYTES, InputFileError, fileReader, inputFileCap, readInputFile, type InputKind } from './input-file';
export { CSV_ROWS_MAX } from './csv';
export { MAX_NESTING, YAML_MAX_ALIASES, YAML_MAX_CHARS, parseJsonText, parseYamlText, type Parsed } from './text-formats';
