/**
 * From a user's experiment object (parsed JSON or YAML) to a resolved Experiment.
 * Files named inside it (network edge lists, CSV datasets) are read relative to baseDir
 * through the injected `readText`, so this module does no I/O of its own.
 */
import { validateClampLaw, type ClampLaw } from '@metatwin/clamping';
import { PAPER_LEARNING_CIRCUIT, PAPER_LEARNING_STAGES, stagesV0_V, validateDamage, validateLearningCircuit, type DamageEvent, type LearningStages } from '@metatwin/edge-physics';
import { ALD1106_FITTED, DEFAULT_LEVEL1 } from '@metatwin/physics';
import {
  DAC_CHANNEL_COUNT,
  DAC_CHANNELS_PER_BOARD,
  DEFAULT_SNAPSHOT_EVERY,
  isDifferential,
  outputCount,
  SOURCES,
  type AdapterChoice,
  type ChipSpec,
  type CopyTransistors,
  type RigChoice,
} from '@metatwin/contracts';
import type { Dataset, Experiment, Imperfections, NetworkSpec, OutputSpec, Quantisation, ReportSettings, Roles, Schedule, TransistorSpec } from './experiment';
import { parseCsvDataset } from './csv';
import { IRIS_CLASSES, IRIS_FEATURES, IRIS_LABELS_V, irisDataset, piecewiseLinearDataset } from './datasets';
import { TopologyError, hierarchical, latticeEdges, placeRoles, randomRegular, smallWorld, type Edge } from './topologies';
import { InputFileError, type InputKind } from './input-file';
import { parseJsonText } from './text-formats';
import { Described, ExperimentError, array, bool, int, isObject, num, object, onlyKeys, optNum, show, str, withoutContent, type Json } from './validate';

export interface ParseContext {
  /**
   * Reads a file named in the experiment (relative paths resolved by the caller), of `kind`:
   * the CLI's reader (input-file.ts fileReader) refuses what is not a regular file within
   * that kind's size cap.
   */
  readonly readText: (relativePath: string, kind: InputKind) => string;
}

/** Largest voltage the DAC can apply to a node (V). */
export const V_MAX = 0.45;

// The signal contract's limits (libs/contracts validate.ts) are checked here, once: an
// experiment that parses must never dead-letter later on a limit it could be told of now.
/** Longest array a signal carries, and the largest datapoint index or demux address (the contract's MAX_ARRAY). */
export const SIGNAL_ARRAY_MAX = 2 ** 20;
/** Most edges: gates travel as base64 float64 of at most 8·SIGNAL_ARRAY_MAX bytes, which base64 padding overruns at 2^20 gates. */
export const EDGES_MAX = SIGNAL_ARRAY_MAX - 1;
/** Most training steps (schedule.steps). */
const STEPS_MAX = 1e9;

const TOP_KEYS = [
  'name',
  'description',
  'seed',
  'network',
  'transistor',
  'initialGates_V',
  'roles',
  'dataset',
  'clamp',
  'schedule',
  'learning',
  'quantisation',
  'imperfections',
  'rig',
  'report',
] as const;

export function parseExperiment(input: unknown, ctx: ParseContext): Experiment {
  const o = object(input, '(experiment)');
  onlyKeys(o, TOP_KEYS, '');
  const name = typeof o.name === 'string' && o.name.length > 0 ? o.name : fail('name', o.name, 'must be a non-empty string');
  const description = o.description === undefined ? '' : typeof o.description === 'string' ? o.description : fail('description', o.description, 'must be a string');
  const seed = o.seed === undefined ? 1 : int(o.seed, 'seed', 0, 2 ** 32 - 1);
  const network = parseNetwork(o.network, ctx, seed);
  const nodeCount = network.kind === 'lattice' ? network.rows * network.cols : network.nodes;
  const edgeCount = network.kind === 'lattice' ? edgeCountOfLattice(network) : network.edges.length;
  const transistor = parseTransistor(o.transistor);
  const initialGates_V = parseGates(o.initialGates_V, edgeCount);
  const roles = parseRoles(o.roles, nodeCount, network);
  const dataset = parseDataset(o.dataset, roles, ctx);
  const clamp = parseClamp(o.clamp, roles);
  const schedule = parseSchedule(o.schedule);
  const learning = parseLearning(o.learning);
  const quantisation = parseQuantisation(o.quantisation);
  const imperfections = parseImperfections(o.imperfections, edgeCount, ctx);
  const rig = parseRig(o.rig);
  const report = parseReport(o.report, schedule);
  for (const g of initialGates_V) {
    if (g < learning.gMin_V || g > learning.gMax_V) throw new ExperimentError('initialGates_V', g, `must lie within the gate range ${learning.gMin_V}..${learning.gMax_V} V`);
  }
  return {
    name,
    description,
    seed,
    network,
    transistor,
    initialGates_V,
    roles,
    dataset,
    clamp,
    schedule,
    learning,
    quantisation,
    imperfections,
    rig,
    ...(report ? { report } : {}),
  };
}

/** `report: {snapshots_s: [...], opAmpPowerPerEdge_W}`; undefined when nothing is set (so earlier runs' experiments parse to themselves). */
function parseReport(v: unknown, schedule: Schedule): ReportSettings | undefined {
  if (v === undefined || v === null) return undefined;
  const o = object(v, 'report');
  onlyKeys(o, ['snapshots_s', 'opAmpPowerPerEdge_W'], 'report');
  const end_s = schedule.steps * schedule.t_h_s;
  const snapshots =
    o.snapshots_s === undefined
      ? undefined
      : array(o.snapshots_s, 'report.snapshots_s').map((t, i) =>
          num(t, `report.snapshots_s[${i}]`, (x) => x >= 0 && x <= end_s, `must be a learning time in 0..${end_s} s (the run's end)`),
        );
  if (snapshots) {
    if (snapshots.length === 0 || snapshots.length > 8) fail('report.snapshots_s', new Described(`${snapshots.length} times`), 'must list 1 to 8 learning times');
    snapshots.forEach((t, i) => {
      if (i > 0 && t <= snapshots[i - 1]) fail(`report.snapshots_s[${i}]`, t, `must be later than the time before it (${snapshots[i - 1]} s)`);
    });
  }
  const power =
    o.opAmpPowerPerEdge_W === undefined ? undefined : num(o.opAmpPowerPerEdge_W, 'report.opAmpPowerPerEdge_W', (x) => x > 0 && x < 100, 'must be a power per edge in (0, 100) W');
  if (snapshots === undefined && power === undefined) return undefined;
  return { ...(snapshots ? { snapshots_s: snapshots } : {}), ...(power !== undefined ? { opAmpPowerPerEdge_W: power } : {}) };
}

function fail(path: string, value: unknown, allowed: string): never {
  throw new ExperimentError(path, value, allowed);
}

/** Read a file the experiment names, failing with the field's path when it is not a readable file (what it is instead, never what it holds). */
function readNamedFile(ctx: ParseContext, field: string, path: unknown, what: string, kind: InputKind): string {
  if (typeof path !== 'string') fail(field, path, `must be ${what}`);
  try {
    return ctx.readText(path, kind);
  } catch (err) {
    // Not a regular file, or over its cap: what it is. A system error (ENOENT, EACCES): its code, as before.
    if (err instanceof InputFileError && err.code === undefined) throw new ExperimentError(field, path, `${err.allowed} (${show(err.value)})`);
    throw new ExperimentError(field, path, `must be a readable file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}

/** A JSON file's value, or an error naming the field, the file and where its syntax fails (never the text around it). */
function jsonFile(text: string, field: string, path: string, what: string): unknown {
  const parsed = parseJsonText(text);
  if (!parsed.ok) throw new ExperimentError(field, path, `must hold ${what} (${parsed.problem})`);
  return parsed.value;
}

export function edgeCountOfLattice(n: { rows: number; cols: number; periodic: boolean }): number {
  return n.periodic ? 2 * n.rows * n.cols : (n.rows - 1) * n.cols + n.rows * (n.cols - 1);
}

function parseNetwork(v: unknown, ctx: ParseContext, seed: number): NetworkSpec {
  const o = resolvedNetwork(object(v, 'network'));
  const generated = generatedNetwork(o, seed);
  if (generated !== null) return generated;
  if (o.lattice !== undefined) {
    onlyKeys(o, ['lattice'], 'network');
    const l = object(o.lattice, 'network.lattice');
    onlyKeys(l, ['rows', 'cols', 'periodic'], 'network.lattice');
    const periodic = bool(l.periodic, 'network.lattice.periodic', true);
    const min = periodic ? 3 : 1;
    const rows = int(l.rows, 'network.lattice.rows', min, 1000);
    const cols = int(l.cols, 'network.lattice.cols', min, 1000);
    if (rows * cols < 2) fail('network.lattice', l, 'must have at least 2 nodes');
    const edges = edgeCountOfLattice({ rows, cols, periodic });
    if (edges > EDGES_MAX)
      fail('network.lattice', l, `must have at most ${EDGES_MAX} edges (a signal carries every gate as float64, at most ${8 * SIGNAL_ARRAY_MAX} bytes), has ${edges}`);
    return { kind: 'lattice', rows, cols, periodic };
  }
  if (o.file === undefined) return edgeListNetwork(o, 'network');
  onlyKeys(o, ['file'], 'network');
  const text = readNamedFile(ctx, 'network.file', o.file, 'a path to a JSON edge list', 'network');
  const file = o.file as string;
  // Each edge opens a bracket: a file of more than EDGES_MAX is refused before JSON.parse builds them.
  if (countOf(text, 0x5b) > EDGES_MAX + 2) fail('network.file', file, `must list at most ${EDGES_MAX} edges (the signal contract's most), holds more`);
  const value = jsonFile(text, 'network.file', file, 'a JSON edge list {nodes, edges}');
  return withoutContent(() => edgeListNetwork(object(value, `network.file(${file})`), `network.file(${file})`));
}

/** How many times the character `code` occurs in `text`. */
function countOf(text: string, code: number): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === code) n++;
  return n;
}

/** `{nodes, edges: [[a, b], …]}`, inline or a network file's, whose fields are named from `where`. */
function edgeListNetwork(edgeList: Json, where: string): NetworkSpec {
  onlyKeys(edgeList, ['nodes', 'edges'], where);
  const nodes = int(edgeList.nodes, `${where}.nodes`, 2);
  if (nodes > SIGNAL_ARRAY_MAX) fail(`${where}.nodes`, nodes, `must be at most ${SIGNAL_ARRAY_MAX} (a signal carries one voltage per node, at most ${SIGNAL_ARRAY_MAX})`);
  const edgeArray = array(edgeList.edges, `${where}.edges`, 1);
  if (edgeArray.length > EDGES_MAX)
    fail(
      `${where}.edges`,
      new Described(`${edgeArray.length}`),
      `must hold at most ${EDGES_MAX} edges (a signal carries every gate as float64, at most ${8 * SIGNAL_ARRAY_MAX} bytes)`,
    );
  const edges = edgeArray.map((pair, e) => {
    const p = array(pair, `${where}.edges[${e}]`, 2);
    if (p.length !== 2) fail(`${where}.edges[${e}]`, pair, 'must be a pair [a, b]');
    const a = int(p[0], `${where}.edges[${e}][0]`, 0, nodes - 1);
    const b = int(p[1], `${where}.edges[${e}][1]`, 0, nodes - 1);
    if (a === b) fail(`${where}.edges[${e}]`, pair, 'must join two different nodes');
    return [a, b] as const;
  });
  return { kind: 'edges', nodes, edges };
}

/** Generators of seeded topologies (topologies.ts): the network resolves to their edge list. */
const GENERATORS = ['random-regular', 'small-world', 'hierarchical'] as const;

function generatedNetwork(o: Json, experimentSeed: number): NetworkSpec | null {
  const name = GENERATORS.find((g) => o[g] !== undefined);
  if (name === undefined) return null;
  onlyKeys(o, [name], 'network');
  const where = `network.${name}`;
  const g = object(o[name], where);
  const seed = g.seed === undefined ? experimentSeed : int(g.seed, `${where}.seed`, 0, 2 ** 32 - 1);
  const limit = Math.floor(Math.sqrt(SIGNAL_ARRAY_MAX));
  let nodes: number;
  let edges: Edge[];
  try {
    switch (name) {
      case 'random-regular': {
        onlyKeys(g, ['nodes', 'degree', 'seed'], where);
        nodes = int(g.nodes, `${where}.nodes`, 3, SIGNAL_ARRAY_MAX);
        edges = randomRegular(nodes, int(g.degree, `${where}.degree`, 2, 64), seed);
        break;
      }
      case 'small-world': {
        onlyKeys(g, ['rows', 'cols', 'periodic', 'shortcuts', 'seed'], where);
        const periodic = bool(g.periodic, `${where}.periodic`, true);
        const rows = int(g.rows, `${where}.rows`, periodic ? 3 : 1, limit);
        const cols = int(g.cols, `${where}.cols`, periodic ? 3 : 1, limit);
        nodes = rows * cols;
        edges = smallWorld(rows, cols, periodic, int(g.shortcuts, `${where}.shortcuts`, 0, EDGES_MAX), seed);
        break;
      }
      case 'hierarchical': {
        onlyKeys(g, ['modules', 'side', 'links', 'seed'], where);
        const modules = int(g.modules, `${where}.modules`, 2, 10_000);
        const side = int(g.side, `${where}.side`, 2, 100);
        nodes = modules * side * side;
        if (nodes > SIGNAL_ARRAY_MAX) fail(where, g, `must have at most ${SIGNAL_ARRAY_MAX} nodes, has ${nodes}`);
        edges = hierarchical(modules, side, int(g.links, `${where}.links`, 1, 10_000), seed);
        break;
      }
    }
  } catch (err) {
    if (err instanceof TopologyError) throw new ExperimentError(where, g, err.message);
    throw err;
  }
  if (edges.length > EDGES_MAX) fail(where, g, `must make at most ${EDGES_MAX} edges, makes ${edges.length}`);
  return { kind: 'edges', nodes, edges };
}

/**
 * A resolved experiment (RunCreated's, result.json's) parses to itself: its network is
 * `{kind: 'lattice', rows, cols, periodic}` or `{kind: 'edges', nodes, edges}`.
 */
function resolvedNetwork(o: Json): Json {
  if (o.kind === undefined) return o;
  const { kind, ...rest } = o;
  if (kind === 'lattice') return { lattice: rest };
  if (kind === 'edges') return rest;
  return fail('network.kind', kind, 'must be "lattice" or "edges" (a resolved network), or absent');
}

function parseTransistor(v: unknown): TransistorSpec {
  const o = v === undefined ? {} : object(v, 'transistor');
  onlyKeys(o, ['card', 'vto_V', 'k_AperV2', 'kp_AperV2', 'w_m', 'l_m', 'gamma_sqrtV', 'phi_V', 'lambda_perV'], 'transistor');
  const card = str(o.card, 'transistor.card', ['default', 'ald1106-fitted'] as const, 'default');
  const base = card === 'default' ? DEFAULT_LEVEL1 : ALD1106_FITTED;
  if (o.k_AperV2 !== undefined && (o.kp_AperV2 !== undefined || o.w_m !== undefined || o.l_m !== undefined)) {
    fail('transistor', o, 'must give either k_AperV2 or kp_AperV2 with w_m and l_m, not both');
  }
  let k = optNum(o.k_AperV2, 'transistor.k_AperV2', base.beta_AperV2, (x) => x > 0, 'must be a positive number of A/V²');
  if (o.kp_AperV2 !== undefined || o.w_m !== undefined || o.l_m !== undefined) {
    const pos = (x: number): boolean => x > 0;
    k =
      (num(o.kp_AperV2, 'transistor.kp_AperV2', pos, 'must be a positive number of A/V²') * num(o.w_m, 'transistor.w_m', pos, 'must be a positive width in metres')) /
      num(o.l_m, 'transistor.l_m', pos, 'must be a positive length in metres');
    // The resolved k travels in RunCreated as JSON, where an overflow would arrive as null.
    if (!(k > 0) || !Number.isFinite(k)) fail('transistor', o, `must give kp_AperV2·w_m/l_m as a finite positive number of A/V², has ${k}`);
  }
  return {
    card,
    vto_V: optNum(o.vto_V, 'transistor.vto_V', base.vto_V),
    k_AperV2: k,
    gamma_sqrtV: optNum(o.gamma_sqrtV, 'transistor.gamma_sqrtV', base.gamma_sqrtV, (x) => x >= 0, 'must be ≥ 0 √V'),
    phi_V: optNum(o.phi_V, 'transistor.phi_V', base.phi_V, (x) => x > 0, 'must be > 0 V'),
    lambda_perV: optNum(o.lambda_perV, 'transistor.lambda_perV', base.lambda_perV, (x) => x >= 0, 'must be ≥ 0 1/V'),
  };
}

function parseGates(v: unknown, edgeCount: number): number[] {
  if (v === undefined || typeof v === 'number') {
    const g = v === undefined ? 2.5 : num(v, 'initialGates_V');
    return new Array(edgeCount).fill(g);
  }
  const a = array(v, 'initialGates_V');
  if (a.length !== edgeCount) fail('initialGates_V', v, `must be one number or ${edgeCount} numbers (one per edge)`);
  return a.map((g, e) => num(g, `initialGates_V[${e}]`));
}

/** `roles: {place: {inputs, rails, output, outputs}}`: the roles placed on the network (topologies.ts), as if written out. */
function placedRoles(o: Json, nodeCount: number, network: NetworkSpec): Json {
  if (o.place === undefined) return o;
  onlyKeys(o, ['place'], 'roles');
  const p = object(o.place, 'roles.place');
  onlyKeys(p, ['inputs', 'rails', 'output', 'outputs'], 'roles.place');
  const placement = {
    inputs: int(p.inputs, 'roles.place.inputs', 1, DAC_CHANNEL_COUNT - 1),
    outputs: p.outputs === undefined ? undefined : int(p.outputs, 'roles.place.outputs', 1, DAC_CHANNEL_COUNT - 1),
    rails: (p.rails === undefined ? [] : array(p.rails, 'roles.place.rails')).map((x, i) =>
      num(x, `roles.place.rails[${i}]`, (v) => v >= 0 && v <= V_MAX, `must be within the DAC range 0..${V_MAX} V`),
    ),
    output: str(p.output, 'roles.place.output', ['single', 'differential'] as const, 'single'),
  };
  const edges = network.kind === 'lattice' ? latticeEdges(network.rows, network.cols, network.periodic) : network.edges;
  try {
    return placeRoles(nodeCount, edges, placement) as unknown as Json;
  } catch (err) {
    if (err instanceof TopologyError) throw new ExperimentError('roles.place', p, err.message);
    throw err;
  }
}

function parseRoles(v: unknown, nodeCount: number, network: NetworkSpec): Roles {
  const o = placedRoles(object(v, 'roles'), nodeCount, network);
  onlyKeys(o, ['inputs', 'rails', 'output'], 'roles');
  const used = new Map<number, string>();
  const node = (x: unknown, path: string): number => {
    const n = int(x, path, 0, nodeCount - 1);
    const other = used.get(n);
    if (other !== undefined) fail(path, x, `must be a node not already used (${other} uses it)`);
    used.set(n, path);
    return n;
  };
  const inputs = array(o.inputs, 'roles.inputs', 1).map((x, i) => node(x, `roles.inputs[${i}]`));
  const rails = (o.rails === undefined ? [] : array(o.rails, 'roles.rails')).map((r, i) => {
    const ro = object(r, `roles.rails[${i}]`);
    onlyKeys(ro, ['node', 'volts'], `roles.rails[${i}]`);
    return {
      node: node(ro.node, `roles.rails[${i}].node`),
      volts: num(ro.volts, `roles.rails[${i}].volts`, (x) => x >= 0 && x <= V_MAX, `must be within the DAC range 0..${V_MAX} V`),
    };
  });
  const output = isList(o.output) ? parseOutputList(o.output, node) : parseOutput(o.output, 'roles.output', node);
  // The patch map: one DAC channel per input node, one per rail, then one label line per output.
  const labelLines = Array.isArray(output) ? output.length : 1;
  const channels = inputs.length + rails.length + labelLines;
  if (channels > DAC_CHANNEL_COUNT) {
    fail(
      'roles',
      channels,
      `needs one DAC channel per input node, one per rail and one label line per output, at most ${DAC_CHANNEL_COUNT} (${DAC_CHANNEL_COUNT / DAC_CHANNELS_PER_BOARD} chained boards of ${DAC_CHANNELS_PER_BOARD}; here ${inputs.length} inputs + ${rails.length} rails + ${labelLines} label lines)`,
    );
  }
  return { inputs, rails, output };
}

const isList = (v: unknown): v is unknown[] => Array.isArray(v);

function parseOutput(v: unknown, path: string, node: (x: unknown, path: string) => number): OutputSpec {
  const out = object(v, path);
  if (out.node !== undefined) {
    onlyKeys(out, ['node'], path);
    return { node: node(out.node, `${path}.node`) };
  }
  onlyKeys(out, ['plus', 'minus'], path);
  return { plus: node(out.plus, `${path}.plus`), minus: node(out.minus, `${path}.minus`) };
}

/** A multi-output task: every output of one kind (single nodes, or (+, −) pairs). */
function parseOutputList(v: unknown[], node: (x: unknown, path: string) => number): OutputSpec[] {
  const outputs = array(v, 'roles.output', 1).map((o, k) => parseOutput(o, `roles.output[${k}]`, node));
  const differential = 'plus' in outputs[0];
  outputs.forEach((o, k) => {
    if ('plus' in o !== differential)
      fail(`roles.output[${k}]`, v[k], `must be ${differential ? 'a (+, −) pair {plus, minus}' : 'a single node {node}'} like roles.output[0]: all outputs are of one kind`);
  });
  return outputs;
}

function parseDataset(v: unknown, roles: Roles, ctx: ParseContext): Dataset {
  const o = object(v, 'dataset');
  const outputs = outputCount({ roles });
  let data: Dataset;
  if (o.csv !== undefined) {
    onlyKeys(o, ['csv', 'trainingPoints', 'classNames'], 'dataset');
    const text = readNamedFile(ctx, 'dataset.csv', o.csv, 'a path to a CSV file', 'csv');
    data = parseCsvDataset(text, roles.inputs.length, outputs, `dataset.csv(${o.csv})`);
  } else if (o.piecewiseLinear !== undefined) {
    onlyKeys(o, ['piecewiseLinear', 'trainingPoints', 'classNames'], 'dataset');
    const p = object(o.piecewiseLinear, 'dataset.piecewiseLinear');
    onlyKeys(p, ['a_V', 'b_V', 'c_V', 'points'], 'dataset.piecewiseLinear');
    if (roles.inputs.length !== 1) fail('dataset.piecewiseLinear', p, 'needs exactly one input node');
    if (outputs !== 1) fail('dataset.piecewiseLinear', p, `needs exactly one output, roles.output lists ${outputs}`);
    const inRange = (x: number): boolean => x >= 0 && x <= V_MAX;
    data = piecewiseLinearDataset(
      num(p.a_V, 'dataset.piecewiseLinear.a_V', inRange, `must be within 0..${V_MAX} V`),
      num(p.b_V, 'dataset.piecewiseLinear.b_V', (x) => x > 0 && x <= V_MAX, `must be within (0, ${V_MAX}] V`),
      num(p.c_V, 'dataset.piecewiseLinear.c_V', inRange, `must be within 0..${V_MAX} V`),
      p.points === undefined ? 8 : int(p.points, 'dataset.piecewiseLinear.points', 2, 256),
    );
  } else if (o.iris !== undefined) {
    onlyKeys(o, ['iris', 'trainingPoints', 'classNames'], 'dataset');
    const p = object(o.iris, 'dataset.iris');
    onlyKeys(p, ['classLabel_V', 'otherLabel_V'], 'dataset.iris');
    if (roles.inputs.length !== IRIS_FEATURES) fail('dataset.iris', p, `needs ${IRIS_FEATURES} input nodes (one per flower measurement), roles.inputs has ${roles.inputs.length}`);
    if (outputs !== IRIS_CLASSES.length) fail('dataset.iris', p, `needs ${IRIS_CLASSES.length} outputs (one per species), roles.output has ${outputs}`);
    data = irisDataset(optNum(p.classLabel_V, 'dataset.iris.classLabel_V', IRIS_LABELS_V.class), optNum(p.otherLabel_V, 'dataset.iris.otherLabel_V', IRIS_LABELS_V.other));
  } else {
    onlyKeys(o, ['inputs', 'labels', 'trainingPoints', 'classNames'], 'dataset');
    const inputs = array(o.inputs, 'dataset.inputs', 1).map((row, d) => {
      const r = array(row, `dataset.inputs[${d}]`);
      if (r.length !== roles.inputs.length) fail(`dataset.inputs[${d}]`, row, `must hold ${roles.inputs.length} voltages (one per input node)`);
      return r.map((x, i) => num(x, `dataset.inputs[${d}][${i}]`));
    });
    data = { inputs, labels: parseLabels(o.labels, inputs.length, outputs) };
  }
  if (data.inputs.length > SIGNAL_ARRAY_MAX + 1)
    fail('dataset', data.inputs.length, `must hold at most ${SIGNAL_ARRAY_MAX + 1} datapoints (signals number them 0..${SIGNAL_ARRAY_MAX})`);
  data.inputs.forEach((row, d) =>
    row.forEach((x, i) => {
      if (x < 0 || x > V_MAX) fail(`dataset.inputs[${d}][${i}]`, x, `must be within the DAC range 0..${V_MAX} V`);
    }),
  );
  const differential = isDifferential(roles);
  // The label line is 8 bits: 0 … V_max single-ended; X + L with X = V_max/2 when differential.
  const [lo, hi] = differential ? [-V_MAX / 2, V_MAX / 2] : [0, V_MAX];
  data.labels.forEach((l, i) => {
    const at = outputs === 1 ? `dataset.labels[${i}]` : `dataset.labels[${Math.floor(i / outputs)}][${i % outputs}]`;
    if (l < lo || l > hi) fail(at, l, `must be within the ${differential ? 'differential' : 'single-ended'} label line's range ${lo}..${hi} V`);
  });
  if (o.classNames !== undefined) {
    const names = array(o.classNames, 'dataset.classNames');
    if (outputs < 2 || names.length !== outputs)
      fail('dataset.classNames', o.classNames, `must name each output of a multi-output task (${outputs} output${outputs === 1 ? '' : 's'} here)`);
    data = {
      ...data,
      classNames: names.map((n, k) => (typeof n === 'string' && n.length > 0 && n.length <= 64 ? n : fail(`dataset.classNames[${k}]`, n, 'must be a name of 1 to 64 characters'))),
    };
  }
  if (o.trainingPoints === undefined) return data;
  // Held-out datapoints: trained on never, measured at every test step like the rest.
  const trainingPoints = int(o.trainingPoints, 'dataset.trainingPoints', 1, data.inputs.length);
  return trainingPoints === data.inputs.length ? data : { ...data, trainingPoints };
}

/**
 * One label per datapoint; with several outputs, one list of them per datapoint, or the flat
 * datapoint-major list a resolved experiment carries (d·outputs + k).
 */
function parseLabels(v: unknown, datapoints: number, outputs: number): number[] {
  const rows = array(v, 'dataset.labels', 1);
  if (outputs > 1 && rows.length === datapoints * outputs && rows.every((x) => typeof x === 'number')) return rows.map((x, i) => num(x, `dataset.labels[${i}]`));
  if (rows.length !== datapoints)
    fail('dataset.labels', v, `must hold ${datapoints} labels (one per datapoint)${outputs > 1 ? `, each a list of ${outputs} (one per output)` : ''}`);
  if (outputs === 1) return rows.map((x, d) => num(x, `dataset.labels[${d}]`));
  return rows.flatMap((row, d) => {
    if (!Array.isArray(row) || row.length !== outputs) fail(`dataset.labels[${d}]`, row, `must hold ${outputs} labels (one per output)`);
    const r = row as unknown[];
    return r.map((x, k) => num(x, `dataset.labels[${d}][${k}]`));
  });
}

function parseClamp(v: unknown, roles: Roles): ClampLaw {
  const o = object(v, 'clamp');
  const kind = str(o.kind, 'clamp.kind', ['coupled', 'differential', 'equilibrium-propagation', 'differential-equilibrium-propagation'] as const);
  let law: ClampLaw;
  if (kind === 'coupled' || kind === 'differential') {
    onlyKeys(o, ['kind', 'eta'], 'clamp');
    law = { kind, eta: num(o.eta, 'clamp.eta', (x) => x > 0 && x <= 1, 'must be in (0, 1]') };
  } else {
    onlyKeys(o, ['kind', 'beta_S'], 'clamp');
    law = { kind, beta_S: num(o.beta_S, 'clamp.beta_S', (x) => x > 0, 'must be a positive number of siemens') };
  }
  validateClampLaw(law);
  const differential = kind.startsWith('differential');
  if (differential !== isDifferential(roles)) {
    fail(
      'clamp.kind',
      kind,
      differential ? 'needs a differential output (roles.output {plus, minus})' : 'needs a single output (roles.output {node}); use a differential law for {plus, minus}',
    );
  }
  return law;
}

function parseSchedule(v: unknown): Schedule {
  const o = v === undefined ? {} : object(v, 'schedule');
  onlyKeys(o, ['t_h_s', 'steps', 'time_s', 'order', 'testEvery', 'substeps', 'snapshotEvery'], 'schedule');
  const t_h_s = optNum(o.t_h_s, 'schedule.t_h_s', 100e-6, (x) => x >= 1e-9 && x <= 1, 'must be a step time in [1e-9, 1] s (signals count time in whole nanoseconds)');
  if (o.steps !== undefined && o.time_s !== undefined) fail('schedule', o, 'must give steps or time_s, not both');
  let steps: number;
  if (o.time_s !== undefined) {
    const t = num(o.time_s, 'schedule.time_s', (x) => x > 0, 'must be a positive learning time in seconds');
    steps = Math.round(t / t_h_s);
    if (steps < 1) fail('schedule.time_s', o.time_s, `must be at least one step of ${t_h_s} s`);
    if (steps > STEPS_MAX) fail('schedule.time_s', o.time_s, `must be at most ${STEPS_MAX} steps of ${t_h_s} s`);
  } else {
    steps = o.steps === undefined ? 100_000 : int(o.steps, 'schedule.steps', 1, STEPS_MAX);
  }
  // Signals stamp learning time in integer nanoseconds, steps × round(t_h) at the end.
  const end_ns = steps * Math.round(t_h_s * 1e9);
  if (end_ns > Number.MAX_SAFE_INTEGER) {
    fail(
      o.time_s !== undefined ? 'schedule.time_s' : 'schedule.steps',
      o.time_s ?? o.steps,
      `must end by ${Number.MAX_SAFE_INTEGER / 1e9} s of learning time (signals stamp it in whole nanoseconds, at most 2^53 − 1), but ${steps} steps of ${t_h_s} s end at ${end_ns / 1e9} s`,
    );
  }
  const order = str(o.order, 'schedule.order', ['random', 'ordered'] as const, 'random');
  const testEvery = o.testEvery === undefined ? Math.max(1, Math.round(steps / 100)) : int(o.testEvery, 'schedule.testEvery', 1);
  const substeps = o.substeps === undefined ? 1 : int(o.substeps, 'schedule.substeps', 1, 10_000);
  // Every 1,000 steps: a resume or restart re-drives at most that many steps (≈ 10 ms on the
  // paper's lattice), and the snapshots stay a few per cent of an XOR log.
  const snapshotEvery = o.snapshotEvery === undefined ? DEFAULT_SNAPSHOT_EVERY : int(o.snapshotEvery, 'schedule.snapshotEvery', 1, STEPS_MAX);
  return { t_h_s, steps, order, testEvery, substeps, snapshotEvery };
}

function parseLearning(v: unknown) {
  const o = v === undefined ? {} : object(v, 'learning');
  onlyKeys(o, ['v0_V', 'r0_Ohm', 'c0_F', 'gMin_V', 'gMax_V', 'floor', 'offPerStep_s', 'stages', 'enableJitterRel'], 'learning');
  if (o.floor !== undefined && o.floor !== 'clip' && o.floor !== 'diode')
    throw new ExperimentError('learning.floor', o.floor, 'must be clip (a hard bound at gMin_V) or diode (the 1N4148 from the gMin_V source)');
  const c = PAPER_LEARNING_CIRCUIT;
  const pos = (x: number): boolean => x > 0;
  const stages = parseStages(o.stages);
  const learning = {
    v0_V: optNum(o.v0_V, 'learning.v0_V', stages ? stagesV0_V(stages) : c.v0_V, pos, 'must be > 0 V'),
    r0_Ohm: optNum(o.r0_Ohm, 'learning.r0_Ohm', c.r0_Ohm, pos, 'must be > 0 Ω'),
    c0_F: optNum(o.c0_F, 'learning.c0_F', c.c0_F, pos, 'must be > 0 F'),
    gMin_V: optNum(o.gMin_V, 'learning.gMin_V', c.gMin_V),
    gMax_V: optNum(o.gMax_V, 'learning.gMax_V', c.gMax_V),
    ...(o.floor === undefined ? {} : { floor: o.floor as 'clip' | 'diode' }),
    ...(o.offPerStep_s === undefined ? {} : { offPerStep_s: optNum(o.offPerStep_s, 'learning.offPerStep_s', 0, (x) => x >= 0 && x <= 1, 'must be a time in 0..1 s') }),
    ...(stages ? { stages } : {}),
    ...(o.enableJitterRel === undefined ? {} : { enableJitterRel: num(o.enableJitterRel, 'learning.enableJitterRel', (x) => x >= 0 && x <= 1, 'must be a relative σ in 0..1') }),
  };
  try {
    validateLearningCircuit(learning);
  } catch (err) {
    throw new ExperimentError('learning', o, (err as Error).message);
  }
  return learning;
}

/** `stages: paper` (the ideal stages of Eq. B2) or an object whose missing fields are the paper's. */
function parseStages(v: unknown): LearningStages | undefined {
  if (v === undefined || v === null) return undefined;
  if (v === 'paper') return { ...PAPER_LEARNING_STAGES };
  const o = object(v, 'learning.stages');
  const p = PAPER_LEARNING_STAGES;
  onlyKeys(o, Object.keys(p), 'learning.stages');
  const positive = (k: 'gain' | 'multiplierScale_V'): number => optNum(o[k], `learning.stages.${k}`, p[k], (x) => x > 0, 'must be > 0');
  const sigma = (k: 'gainSigmaRel' | 'inputOffsetSigma_V' | 'scaleSigmaRel' | 'outputOffsetSigma_V', max: number): number =>
    optNum(o[k], `learning.stages.${k}`, p[k], (x) => x >= 0 && x <= max, `must be a σ in 0..${max}`);
  return {
    gain: positive('gain'),
    multiplierScale_V: positive('multiplierScale_V'),
    gainSigmaRel: sigma('gainSigmaRel', 0.5),
    inputOffsetSigma_V: sigma('inputOffsetSigma_V', 0.1),
    scaleSigmaRel: sigma('scaleSigmaRel', 0.5),
    outputOffsetSigma_V: sigma('outputOffsetSigma_V', 1),
  };
}

function parseQuantisation(v: unknown): Quantisation {
  const o = v === undefined ? {} : object(v, 'quantisation');
  onlyKeys(o, ['dac', 'adc', 'adcRepeats'], 'quantisation');
  return {
    dac: bool(o.dac, 'quantisation.dac', true),
    adc: bool(o.adc, 'quantisation.adc', true),
    adcRepeats: o.adcRepeats === undefined ? 1 : int(o.adcRepeats, 'quantisation.adcRepeats', 1, 10_000),
  };
}

function parseImperfections(v: unknown, edgeCount: number, ctx: ParseContext): Imperfections {
  const o = v === undefined ? {} : object(v, 'imperfections');
  onlyKeys(o, ['mismatch', 'learningOffsetSigma_V2', 'readoutNoiseSigma_V', 'damage', 'chip'], 'imperfections');
  let mismatch = null;
  if (o.mismatch !== undefined && o.mismatch !== null) {
    const m = object(o.mismatch, 'imperfections.mismatch');
    onlyKeys(m, ['vtoSigma_V', 'kpRelSigma'], 'imperfections.mismatch');
    const nonNeg = (x: number): boolean => x >= 0;
    mismatch = {
      vtoSigma_V: optNum(m.vtoSigma_V, 'imperfections.mismatch.vtoSigma_V', 0, nonNeg, 'must be ≥ 0 V'),
      kpRelSigma: optNum(m.kpRelSigma, 'imperfections.mismatch.kpRelSigma', 0, nonNeg, 'must be ≥ 0'),
    };
  }
  const damage = (o.damage === undefined ? [] : array(o.damage, 'imperfections.damage')).map((d, i) => {
    const dd = object(d, `imperfections.damage[${i}]`);
    onlyKeys(dd, ['edge', 'kind', 'at_s'], `imperfections.damage[${i}]`);
    return {
      edge: int(dd.edge, `imperfections.damage[${i}].edge`, 0, edgeCount - 1),
      kind: str(dd.kind, `imperfections.damage[${i}].kind`, ['open', 'short'] as const),
      at_s: num(dd.at_s, `imperfections.damage[${i}].at_s`, (x) => x >= 0, 'must be a learning time ≥ 0 s'),
    } satisfies DamageEvent;
  });
  validateDamage(damage, edgeCount);
  return {
    mismatch,
    learningOffsetSigma_V2: optNum(o.learningOffsetSigma_V2, 'imperfections.learningOffsetSigma_V2', 0, (x) => x >= 0, 'must be ≥ 0 V²'),
    readoutNoiseSigma_V: optNum(o.readoutNoiseSigma_V, 'imperfections.readoutNoiseSigma_V', 0, (x) => x >= 0, 'must be ≥ 0 V'),
    damage,
    ...(o.chip === undefined || o.chip === null ? {} : { chip: parseChip(o.chip, edgeCount, ctx) }),
  };
}

/** The chip format's name, written in every chip file. */
export const CHIP_FORMAT = 'metatwin-chip/1';

/** A chip: inline, or the path of a chip file (`metatwin calibrate --out`). */
export function parseChip(v: unknown, edgeCount: number, ctx: ParseContext): ChipSpec {
  const field = 'imperfections.chip';
  if (typeof v !== 'string') return chipOf(v, edgeCount, field);
  const text = readNamedFile(ctx, field, v, 'a chip file or an inline chip', 'chip');
  const value = jsonFile(text, field, v, 'a JSON chip file');
  return withoutContent(() => chipOf(value, edgeCount, field));
}

function chipOf(value: unknown, edgeCount: number, field: string): ChipSpec {
  const o = object(value, field);
  onlyKeys(o, ['format', 'edges', 'free', 'clamped', 'learningOffsets_V2', 'note'], field);
  if (o.format !== CHIP_FORMAT) fail(`${field}.format`, o.format, `must be "${CHIP_FORMAT}"`);
  if (o.edges !== edgeCount) fail(`${field}.edges`, o.edges, `must be ${edgeCount}, the network's edge count`);
  const values = (x: unknown, path: string, ok: (n: number) => boolean, allowed: string): number[] => {
    const a = array(x, path);
    if (a.length !== edgeCount) fail(path, new Described(`${a.length} values`), `must hold ${edgeCount} values, one per edge`);
    return a.map((n, i) => num(n, `${path}[${i}]`, ok, allowed));
  };
  const copy = (x: unknown, path: string): CopyTransistors => {
    const c = object(x, path);
    onlyKeys(c, ['vto_V', 'k_AperV2'], path);
    return {
      vto_V: values(c.vto_V, `${path}.vto_V`, (n) => n > -5 && n < 5, 'must be a threshold in (−5, 5) V'),
      k_AperV2: values(c.k_AperV2, `${path}.k_AperV2`, (n) => n > 0 && n < 1, 'must be in (0, 1) A/V²'),
    };
  };
  return {
    free: copy(o.free, `${field}.free`),
    clamped: o.clamped === undefined || o.clamped === null ? null : copy(o.clamped, `${field}.clamped`),
    learningOffsets_V2:
      o.learningOffsets_V2 === undefined || o.learningOffsets_V2 === null
        ? null
        : values(o.learningOffsets_V2, `${field}.learningOffsets_V2`, (n) => Math.abs(n) < 1, 'must be an offset below 1 V² in size'),
  };
}

/** Fields whose forms are alternatives (a lattice or an edge list; inline data or a CSV): an override replaces them whole. */
const REPLACED_WHOLE = new Set(['network', 'dataset', 'output']);

/**
 * Deep-merge `override` onto `base` — presets plus a user's changes. Objects merge,
 * arrays and scalars replace, network, dataset, roles.output and roles given by `place`
 * replace whole, and a schedule override giving steps or time_s replaces the base's steps and
 * time_s.
 */
export function mergeExperimentInput(base: unknown, override: unknown, key = ''): unknown {
  // A placement (roles.place) stands for all the roles: it replaces the base's whole.
  const placed = key === 'roles' && isObject(override) && override.place !== undefined;
  if (!isObject(base) || !isObject(override) || REPLACED_WHOLE.has(key) || placed) return override === undefined ? base : override;
  const out: Json = { ...base };
  // steps and time_s are two ways to say one thing: the override's choice wins.
  if (key === 'schedule' && ('steps' in override || 'time_s' in override)) {
    delete out.steps;
    delete out.time_s;
  }
  for (const [k, v] of Object.entries(override)) out[k] = mergeExperimentInput(base[k], v, k);
  return out;
}

export { show };

/** `rig: {measurement: mirror, …}`: each subsystem's adapter, sim unless named. */
export function parseRig(v: unknown, path = 'rig'): RigChoice {
  const o = v === undefined ? {} : object(v, path);
  onlyKeys(o, SOURCES, path);
  const choice = (s: (typeof SOURCES)[number]): AdapterChoice => (o[s] === undefined ? 'sim' : parseAdapterChoice(o[s], `${path}.${s}`));
  return { supervisor: choice('supervisor'), 'edge-physics': choice('edge-physics'), clamping: choice('clamping'), measurement: choice('measurement') };
}

/** `sim`, `mirror` or `bridge:<address>` (the address is the hardware bridge's: a serial device or tcp://host:port). */
export function parseAdapterChoice(v: unknown, path: string): AdapterChoice {
  if (v === 'sim' || v === 'mirror') return v;
  if (typeof v === 'string' && /^bridge:\S+$/.test(v)) return v as AdapterChoice;
  return fail(path, v, 'must be "sim", "mirror" or "bridge:<address>" (e.g. bridge:/dev/ttyACM0)');
}
