// The clamping subsystem: the feedback circuit that holds (or nudges) the clamped copy's outputs.
export {
  ClampLawError,
  clampCircuit,
  coupledOutput,
  differentialOutputs,
  etaOfWiper,
  validateClampLaw,
  wiperPosition,
  type ClampCircuit,
  type ClampLaw,
  type ClampLawKind,
} from './clamp-laws';
