// The supervisor subsystem: DAC channels and the patch map, the schedule, its port, its decider and adapters.
export { PAPER_DAC, applied_V, dacCode, dacConverter, dacVoltage, validatePatchMap, type DacConfig, type PatchMap, type PatchTarget } from './dac';
export { datapointAt, lowerBound, testSteps } from './schedule';
export { dacConfig, outputAddresses, patchMap } from './wiring';
export { executeSupervisorCall, type DacPurpose, type DacRequest, type DacWrite, type SupervisorCall, type SupervisorPort, type SupervisorResult, type WiperSetting } from './port';
export { resumeSupervisor, supervisorDecider, withMissing, type SupervisorCommand, type SupervisorInput, type SupervisorOptions, type SupervisorState } from './decider';
export { SupervisorSim, WIPER_POSITIONS, wiperPosition } from './sim/supervisor-sim';
export { SupervisorMirror, type SupervisorCommandRecord } from './mirror/supervisor-mirror';
