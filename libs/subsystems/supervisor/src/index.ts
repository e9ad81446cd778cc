// The supervisor subsystem: DAC channels, the patch map and (with the experiments) the schedule.
export { DAC_CHANNELS, PAPER_DAC, applied_V, dacCode, dacVoltage, labelConverter, validatePatchMap, type DacConfig, type PatchMap, type PatchTarget } from './dac';
