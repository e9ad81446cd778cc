/**
 * The `metatwin solve` circuit format: one network copy with fixed gates and sources.
 *   {"nodes": n, "edges": [[a,b],…], "gates": [G per edge, V], "fixed": {"<node>": V, …},
 *    "transistor": {"k": A/V² | "kp","w","l", "vth", optional "gamma","phi","lambda"}}
 * Parsing validates every field and names the first bad one.
 */
import { DcSolver, edgeCurrents, type SolveStatus, type SolverOptions } from './dc-solver';
import { DEFAULT_LEVEL1, uniformTransistors, type Level1Params } from './level1';
import { networkFromEdges, NetworkError, type Network } from './network';
import { edgePowers } from './power';

export class CircuitFileError extends Error {
  constructor(
    readonly field: string,
    problem: string,
  ) {
    super(`${field}: ${problem}`);
    this.name = 'CircuitFileError';
  }
}

export interface CircuitSpec {
  readonly network: Network;
  readonly gates_V: Float64Array;
  readonly fixed: ReadonlyMap<number, number>;
  readonly transistor: Level1Params;
}

export interface CircuitSolution {
  readonly status: SolveStatus;
  readonly iterations: number;
  readonly residual_A: number;
  readonly voltages: number[];
  readonly currents: number[];
  readonly power: number;
  /** Free nodes no edge touches: nothing defines their voltage; reported, and set to 0 V. */
  readonly unconnected: number[];
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** What a bad value is, not what it says: a file's content is never echoed in an error. */
function describe(v: unknown): string {
  if (typeof v === 'number' || typeof v === 'boolean' || v === null || v === undefined) return String(v);
  if (typeof v === 'string') return `a string of ${v.length} characters`;
  return Array.isArray(v) ? `an array of ${v.length}` : 'an object';
}

/** A field's name when it is a plain short identifier (a typo worth showing), else what it is. */
const fieldName = (key: string): string => (/^[A-Za-z_][A-Za-z0-9_]{0,31}$/.test(key) ? key : `a field named with ${key.length} characters`);

function finite(field: string, v: unknown, rule?: (x: number) => boolean, allowed = 'a finite number'): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || (rule && !rule(v))) {
    throw new CircuitFileError(field, `must be ${allowed}, got ${describe(v)}`);
  }
  return v;
}

export function parseCircuit(json: unknown): CircuitSpec {
  if (!isObject(json)) throw new CircuitFileError('(top level)', 'must be a JSON object');
  const known = new Set(['nodes', 'edges', 'gates', 'fixed', 'transistor']);
  for (const key of Object.keys(json)) {
    if (!known.has(key)) throw new CircuitFileError(fieldName(key), `is not a known field (expected ${[...known].join(', ')})`);
  }
  const nodes = json.nodes;
  if (typeof nodes !== 'number' || !Number.isInteger(nodes) || nodes < 2) {
    throw new CircuitFileError('nodes', `must be an integer ≥ 2, got ${describe(nodes)}`);
  }
  if (!Array.isArray(json.edges)) throw new CircuitFileError('edges', 'must be an array of [a, b] pairs');
  let network: Network;
  try {
    network = networkFromEdges(nodes, json.edges as Array<[number, number]>);
  } catch (err) {
    if (err instanceof NetworkError) throw new CircuitFileError('edges', err.message);
    throw err;
  }
  if (!Array.isArray(json.gates)) throw new CircuitFileError('gates', 'must be an array with one gate voltage per edge');
  if (json.gates.length !== network.edgeCount) {
    throw new CircuitFileError('gates', `has ${json.gates.length} entries but there are ${network.edgeCount} edges`);
  }
  const gates_V = new Float64Array(network.edgeCount);
  json.gates.forEach((g, e) => (gates_V[e] = finite(`gates[${e}]`, g, undefined, 'a finite gate voltage in volts')));

  if (!isObject(json.fixed)) throw new CircuitFileError('fixed', 'must be an object mapping node index to volts');
  const fixed = new Map<number, number>();
  for (const [key, v] of Object.entries(json.fixed)) {
    const node = Number(key);
    if (!/^\d+$/.test(key) || node >= nodes) throw new CircuitFileError(`fixed[${/^\d{1,9}$/.test(key) ? key : fieldName(key)}]`, `is not a node index in 0..${nodes - 1}`);
    fixed.set(node, finite(`fixed[${key}]`, v, undefined, 'a finite voltage'));
  }
  if (fixed.size === 0) throw new CircuitFileError('fixed', 'must hold at least one fixed node (otherwise nothing sets the voltages)');

  const t = json.transistor ?? {};
  if (!isObject(t)) throw new CircuitFileError('transistor', 'must be an object');
  const tKnown = new Set(['k', 'kp', 'w', 'l', 'vth', 'gamma', 'phi', 'lambda']);
  for (const key of Object.keys(t)) {
    if (!tKnown.has(key)) throw new CircuitFileError(`transistor.${key}`, `is not a known parameter (expected ${[...tKnown].join(', ')})`);
  }
  let beta = DEFAULT_LEVEL1.beta_AperV2;
  const hasK = t.k !== undefined;
  const hasKp = t.kp !== undefined || t.w !== undefined || t.l !== undefined;
  if (hasK && hasKp) throw new CircuitFileError('transistor', 'give either "k" or "kp","w","l", not both');
  if (hasK) beta = finite('transistor.k', t.k, (x) => x > 0, 'a positive number of A/V²');
  if (hasKp) {
    const kp = finite('transistor.kp', t.kp, (x) => x > 0, 'a positive number of A/V² (with "w" and "l")');
    const w = finite('transistor.w', t.w, (x) => x > 0, 'a positive width in metres');
    const l = finite('transistor.l', t.l, (x) => x > 0, 'a positive length in metres');
    beta = (kp * w) / l;
  }
  const transistor: Level1Params = {
    vto_V: t.vth === undefined ? DEFAULT_LEVEL1.vto_V : finite('transistor.vth', t.vth),
    beta_AperV2: beta,
    gamma_sqrtV: t.gamma === undefined ? 0 : finite('transistor.gamma', t.gamma, (x) => x >= 0, 'a number ≥ 0 (√V)'),
    phi_V: t.phi === undefined ? DEFAULT_LEVEL1.phi_V : finite('transistor.phi', t.phi, (x) => x > 0, 'a positive number of volts'),
    lambda_perV: t.lambda === undefined ? 0 : finite('transistor.lambda', t.lambda, (x) => x >= 0, 'a number ≥ 0 (1/V)'),
  };
  return { network, gates_V, fixed, transistor };
}

/** Solve one copy from a parsed circuit; free nodes start from the mean fixed voltage. */
export function solveCircuit(spec: CircuitSpec, options: SolverOptions = {}): CircuitSolution {
  const { network } = spec;
  const mask = new Uint8Array(network.nodeCount);
  const voltages = new Float64Array(network.nodeCount);
  let mean = 0;
  for (const v of spec.fixed.values()) mean += v / spec.fixed.size;
  voltages.fill(mean);
  for (const [node, v] of spec.fixed) {
    mask[node] = 1;
    voltages[node] = v;
  }
  const transistors = uniformTransistors(network.edgeCount, spec.transistor);
  const solver = new DcSolver(network, mask, options);
  const result = solver.solve(spec.gates_V, transistors, voltages);
  const currents = new Float64Array(network.edgeCount);
  edgeCurrents(network, spec.gates_V, transistors, voltages, currents);
  const power = edgePowers(network, voltages, currents, new Float64Array(network.edgeCount));
  return { ...result, voltages: Array.from(voltages), currents: Array.from(currents), power, unconnected: Array.from(solver.unconnectedNodes) };
}
