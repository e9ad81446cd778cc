// The edge-physics subsystem: the twin network and each edge's learning circuit.
export { TwinError, TwinNetwork, type ClampPort, type StepReport, type TwinConfig } from './twin';
export {
  PAPER_LEARNING_CIRCUIT,
  chargingPowers,
  gateRates,
  learningTimeScale_Vs,
  tau0_s,
  validateLearningCircuit,
  type LearningCircuit,
} from './learning-rule';
export { applyDamage, learningOffsets, mismatchedTransistors, validateDamage, type DamageEvent, type Mismatch } from './imperfections';
