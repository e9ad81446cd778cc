/**
 * A study file (YAML or JSON): a base experiment, axes to sweep in Hydra's sweep syntax, and
 * the metrics to collect. Validated like an experiment file: every failure names its field.
 *
 *   name: lattice-scaling
 *   base: { schedule: { time_s: 2 } }      # merged over each task's experiment (optional)
 *   axes:                                   # the cartesian product of every axis …
 *     task: xor, regression                 # a preset, or a name under `tasks`
 *     topology: [lattice, random-regular]   # lattice, open-lattice, small-world, random-regular
 *     size: 4, 8, 16                        # lattice side; other topologies get as many nodes
 *     seed: range(1, 4)                     # 1, 2, 3 (Hydra: stop excluded)
 *     clamp.eta: choice(0.25, 0.5)          # any dotted experiment field
 *   points: [{ task: xor, size: 4 }, …]     # … or these points only (each a map of axis values)
 *   metrics: { targetFall: 10, opAmpPowerPerEdge_W: 0.1 }
 */
import { ExperimentError, array, num, object, onlyKeys, parseExperimentText, type Json } from '@metatwin/experiments';
import type { AxisValue } from './row';

/** The topologies a `topology` axis may name; `size` sets their scale (topology.ts, studies/jobs.ts). */
export const TOPOLOGIES = ['lattice', 'open-lattice', 'small-world', 'random-regular'] as const;
export type TopologyName = (typeof TOPOLOGIES)[number];

/** The axes with a meaning of their own; every other axis is a dotted experiment field. */
export const NAMED_AXES = ['task', 'topology', 'size'] as const;

export interface StudyMetricsSpec {
  /** An absolute MSE target (V²) … */
  readonly targetMse_V2: number | null;
  /** … or a fall: the target is the run's starting MSE divided by this. */
  readonly targetFall: number | null;
  /** Op-amp and multiplier power per edge while learning (W; the paper's ~0.1), or null: left out. */
  readonly opAmpPowerPerEdge_W: number | null;
}

export interface Study {
  readonly name: string;
  readonly description: string;
  /** Experiment input merged over every task's (objects merge, as `preset` files do). */
  readonly base: Json;
  /** Named tasks: experiment inputs (a `preset` key allowed) a `task` axis may name besides the presets. */
  readonly tasks: Readonly<Record<string, Json>>;
  /** Axis name → its values, in file order. Empty when the study lists points. */
  readonly axes: ReadonlyArray<{ readonly name: string; readonly values: ReadonlyArray<AxisValue> }>;
  /** Listed points (each axis name → value), or null for the product of `axes`. */
  readonly points: ReadonlyArray<Readonly<Record<string, AxisValue>>> | null;
  readonly metrics: StudyMetricsSpec;
}

export class StudyError extends ExperimentError {
  constructor(path: string, value: unknown, allowed: string) {
    super(path, value, allowed);
    this.name = 'StudyError';
  }
}

const TOP_KEYS = ['name', 'description', 'base', 'tasks', 'axes', 'points', 'metrics'];
/** Dotted experiment fields: letters, digits, _ and - between dots (e.g. imperfections.mismatch.vtoSigma_V). */
const FIELD = /^[A-Za-z_][A-Za-z0-9_-]*(\.[A-Za-z_][A-Za-z0-9_-]*)*$/;
/** Most jobs one study may hold: each is a run; beyond this a typo in a range is likelier than a plan. */
export const JOBS_MAX = 100_000;

/**
 * A study file's text (YAML or JSON by its name), parsed with an experiment file's limits —
 * YAML_MAX_ALIASES, YAML_MAX_CHARS, MAX_NESTING, syntax errors by line and column only — then
 * validated. The text is read with readInputFile(file, 'study'): a regular file within 4 MiB.
 */
export function parseStudyText(text: string, fileName: string): Study {
  return parseStudy(rethrow(() => parseExperimentText(text, fileName)));
}

export function parseStudy(input: unknown): Study {
  const o = rethrow(() => object(input, '(study)'));
  rethrow(() => onlyKeys(o, TOP_KEYS, ''));
  if (typeof o.name !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/.test(o.name))
    throw new StudyError('name', o.name, 'must be 1–64 letters, digits, - or _ (it names the study and its results)');
  const description = o.description === undefined ? '' : typeof o.description === 'string' ? o.description : fail('description', o.description, 'must be a string');
  const base = o.base === undefined ? {} : rethrow(() => object(o.base, 'base'));
  const tasks: Record<string, Json> = {};
  if (o.tasks !== undefined) {
    for (const [k, v] of Object.entries(rethrow(() => object(o.tasks, 'tasks')))) tasks[k] = rethrow(() => object(v, `tasks.${k}`));
  }
  if ((o.axes === undefined) === (o.points === undefined)) fail('axes', o.axes, 'give axes (their product is swept) or points (listed), one of them');
  const axes: Array<{ name: string; values: AxisValue[] }> = [];
  if (o.axes !== undefined) {
    for (const [name, raw] of Object.entries(rethrow(() => object(o.axes, 'axes')))) {
      checkAxisName(name, `axes.${name}`);
      const values = sweepValues(raw, `axes.${name}`);
      if (values.length === 0) fail(`axes.${name}`, raw, 'must hold at least one value');
      axes.push({ name, values });
    }
    if (axes.length === 0) fail('axes', o.axes, 'must name at least one axis');
    const jobs = axes.reduce((n, a) => n * a.values.length, 1);
    if (jobs > JOBS_MAX) fail('axes', `${jobs} jobs`, `must make at most ${JOBS_MAX} jobs`);
  }
  let points: Array<Record<string, AxisValue>> | null = null;
  if (o.points !== undefined) {
    const list = rethrow(() => array(o.points, 'points', 1));
    if (list.length > JOBS_MAX) fail('points', `${list.length} points`, `must list at most ${JOBS_MAX}`);
    points = list.map((p, i) => {
      const point: Record<string, AxisValue> = {};
      for (const [name, v] of Object.entries(rethrow(() => object(p, `points[${i}]`)))) {
        checkAxisName(name, `points[${i}].${name}`);
        point[name] = scalar(v, `points[${i}].${name}`);
      }
      return point;
    });
  }
  return { name: o.name, description, base, tasks, axes, points, metrics: parseMetrics(o.metrics) };
}

function parseMetrics(v: unknown): StudyMetricsSpec {
  const o = v === undefined ? {} : rethrow(() => object(v, 'metrics'));
  rethrow(() => onlyKeys(o, ['targetMse_V2', 'targetFall', 'opAmpPowerPerEdge_W'], 'metrics'));
  if (o.targetMse_V2 !== undefined && o.targetFall !== undefined) fail('metrics', o, 'give targetMse_V2 or targetFall, not both');
  const positive = (x: unknown, path: string): number => rethrow(() => num(x, path, (n) => n > 0, 'must be a positive number'));
  return {
    targetMse_V2: o.targetMse_V2 === undefined ? null : positive(o.targetMse_V2, 'metrics.targetMse_V2'),
    // Without either, the target is a 10× fall: what the presets call learned.
    targetFall:
      o.targetMse_V2 !== undefined ? null : o.targetFall === undefined ? 10 : rethrow(() => num(o.targetFall, 'metrics.targetFall', (n) => n > 1, 'must be a number > 1')),
    opAmpPowerPerEdge_W: o.opAmpPowerPerEdge_W === undefined ? null : positive(o.opAmpPowerPerEdge_W, 'metrics.opAmpPowerPerEdge_W'),
  };
}

function checkAxisName(name: string, path: string): void {
  if (!FIELD.test(name)) fail(path, name, 'must be task, topology, size or a dotted experiment field such as clamp.eta');
  if (name === 'name' || name.startsWith('roles') || name === 'preset') fail(path, name, 'cannot be swept (a job names itself; roles follow the task and the network)');
}

/**
 * Hydra's sweep syntax for one axis: a YAML/JSON list, a single value, a comma list
 * ("4, 8, 16"), choice(a, b, …), or range(start, stop[, step]) with stop excluded. Hydra's
 * interval() is not supported: a sweep here is a list of runs, not a search space.
 */
export function sweepValues(raw: unknown, path: string): AxisValue[] {
  if (Array.isArray(raw)) return raw.map((v, i) => scalar(v, `${path}[${i}]`));
  if (typeof raw !== 'string') return [scalar(raw, path)];
  const text = raw.trim();
  const call = /^(choice|range)\((.*)\)$/.exec(text);
  if (call === null) return text.includes(',') ? splitList(text).map((t) => literal(t)) : [literal(text)];
  const args = splitList(call[2]).map((t) => literal(t));
  if (call[1] === 'choice') {
    if (args.length === 0) fail(path, raw, 'choice() needs at least one value');
    return args;
  }
  if (args.length < 1 || args.length > 3 || args.some((a) => typeof a !== 'number' || !Number.isFinite(a)))
    fail(path, raw, 'range() takes 1 to 3 numbers: range(stop), range(start, stop) or range(start, stop, step)');
  const [start, stop, step] = args.length === 1 ? [0, args[0] as number, 1] : [args[0] as number, args[1] as number, (args[2] as number | undefined) ?? 1];
  if (step === 0 || (stop - start) / step > JOBS_MAX) fail(path, raw, `range() must step toward stop in at most ${JOBS_MAX} values`);
  const out: number[] = [];
  for (let i = 0; step > 0 ? start + i * step < stop : start + i * step > stop; i++) out.push(Number((start + i * step).toPrecision(15)));
  return out;
}

function splitList(text: string): string[] {
  return text.trim() === '' ? [] : text.split(',').map((t) => t.trim());
}

/** A bare value of the sweep syntax: a number, true/false, or a string (quotes optional). */
function literal(token: string): AxisValue {
  if (/^(['"]).*\1$/.test(token)) return token.slice(1, -1);
  if (token === 'true' || token === 'false') return token === 'true';
  const n = Number(token);
  return token !== '' && Number.isFinite(n) ? n : token;
}

function scalar(v: unknown, path: string): AxisValue {
  if (typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v))) return v;
  return fail(path, v, 'must be a number, a string or true/false');
}

function fail(path: string, value: unknown, allowed: string): never {
  throw new StudyError(path, value, allowed);
}

/** The experiments lib's validators throw ExperimentError; a study's are StudyErrors with the same path. */
function rethrow<T>(f: () => T): T {
  try {
    return f();
  } catch (err) {
    if (err instanceof ExperimentError && !(err instanceof StudyError)) throw new StudyError(err.path, err.value, err.allowed);
    throw err;
  }
}
