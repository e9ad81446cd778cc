// Numeric core of metatwin: topology, the Level-1 transistor, the DC solver, power and
// converter arithmetic. Plain TypeScript on typed arrays; imports no framework.
export { RNG_STREAM, Rng, counterUniform, rngStreams, type RngStreamName } from './rng';
export { NetworkError, networkFromEdges, nodeDegrees, paperLattice, squareLattice, type Network } from './network';
export {
  ALD1106_FITTED,
  DEFAULT_LEVEL1,
  DRAIN_GDS,
  DRAIN_GM,
  DRAIN_GMBS,
  DRAIN_ID,
  EDGE_INTACT,
  EDGE_OPEN,
  EDGE_SHORT,
  level1Drain,
  level1Region,
  newDrainResult,
  uniformTransistors,
  validateLevel1,
  type DrainResult,
  type Level1Params,
  type Region,
  type TransistorSet,
} from './level1';
export { analysePattern, entryOffset, luFactor, luSolve, type LuPattern } from './sparse-lu';
export { DcSolver, MULTIGRID_FROM_UNKNOWNS, edgeCurrents, junctionLeak, type SolveResult, type SolveStatus, type SolverOptions } from './dc-solver';
export { DEFAULT_EQUILIBRATION_TIME_S, edgePowers, energyPerInference } from './power';
export { GATE_ADC, NODE_ADC, NODE_DAC, fromCode, labelLineConverter, lsb_V, quantise, toCode, validateConverter, type Converter } from './quantisation';
export { parseCircuit, solveCircuit, CircuitFileError, type CircuitSpec, type CircuitSolution } from './circuit-file';
