// The clamping subsystem: the feedback circuit that holds (or nudges) the clamped copy's outputs.
export { ClampLawError, clampCircuit, coupledOutput, differentialOutputs, etaOfWiper, validateClampLaw, type ClampCircuit, type ClampLaw, type ClampLawKind } from './clamp-laws';
export { executeClampingCall, type ClampingCall, type ClampingPort, type ClampingResult } from './port';
export { clampingDecider, type ClampingState } from './decider';
export { ClampingSim } from './sim/clamping-sim';
export { ClampingMirror, type ClampingCommandRecord } from './mirror/clamping-mirror';
