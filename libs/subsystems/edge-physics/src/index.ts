// The edge-physics subsystem: the twin network, each edge's learning circuit, its port, decider and adapters.
export { TwinError, TwinNetwork, type ClampPort, type StepReport, type TwinConfig } from './twin';
export {
  FLOOR_DIODE_1N4148,
  PAPER_LEARNING_CIRCUIT,
  PAPER_LEARNING_STAGES,
  chargingPowers,
  gateRates,
  learningTimeScale_Vs,
  stagesV0_V,
  stepAboveDiode,
  tau0_s,
  validateLearningCircuit,
  type EdgeStages,
  type LearningCircuit,
  type LearningStages,
} from './learning-rule';
export { applyDamage, drawEdgeStages, enableFactor, learningOffsets, mismatchedTransistors, validateDamage, type DamageEvent, type Mismatch } from './imperfections';
export {
  executeEdgePhysicsCall,
  type EdgePhysicsCall,
  type EdgePhysicsPort,
  type EdgePhysicsResult,
  type EdgeSnapshot,
  type Learned,
  type NodesReading,
  type Settle,
} from './port';
export { edgePhysicsDecider, type EdgePhysicsState, type InFlight } from './decider';
export { EdgePhysicsSim } from './sim/edge-physics-sim';
export { networkOf, twinOf } from './sim/twin-of-experiment';
export { EdgePhysicsMirror, type EdgePhysicsCommandRecord } from './mirror/edge-physics-mirror';
