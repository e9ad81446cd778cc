/**
 * A study's jobs: one resolved experiment per point of its sweep, each with an id that is a
 * hash of that experiment (seed included) — the same job always has the same id, so a job
 * queued twice is one job, and running a study again finds what is done. Every job's
 * experiment is parsed here, before anything is queued: a value that makes an invalid
 * experiment is refused naming the point and the field.
 */
import { createHash } from 'node:crypto';
import {
  ExperimentError,
  isPresetName,
  mergeExperimentInput,
  planFromInput,
  presetInput,
  type Experiment,
  type Json,
  type ParseContext,
  type Placement,
} from '@metatwin/experiments';
import { outputCount, outputSpecs, isDifferential, type Roles } from '@metatwin/contracts';
import type { AxisValue } from './row';
import { StudyError, TOPOLOGIES, type Study, type TopologyName } from './study-file';

export interface Job {
  readonly id: string;
  /** This job's value of every axis. */
  readonly params: Readonly<Record<string, AxisValue>>;
  readonly task: string;
  /** The topology axis' value, or "network" when the task's own network is used. */
  readonly topology: string;
  readonly size: number | null;
  readonly experiment: Experiment;
}

export interface ExpandedStudy {
  /** The study's name and a hash of its job ids: the same file always gives the same id. */
  readonly id: string;
  readonly study: Study;
  readonly jobs: ReadonlyArray<Job>;
}

export function expandStudy(study: Study, ctx: ParseContext): ExpandedStudy {
  const points = study.points ?? product(study.axes);
  const tasks = new Map<string, { input: unknown; experiment: Experiment }>();
  const jobs = points.map((point) => {
    const taskName = point.task === undefined ? 'base' : String(point.task);
    let task = tasks.get(taskName);
    if (task === undefined) {
      task = resolveTask(study, taskName, point, ctx);
      tasks.set(taskName, task);
    }
    return buildJob(study, point, taskName, task, ctx);
  });
  const ids = new Set<string>();
  for (const job of jobs) {
    if (ids.has(job.id)) throw new StudyError(pointPath(job.params), job.params, 'makes the same experiment as another point (two jobs would be one)');
    ids.add(job.id);
  }
  return { id: `${study.name}-${sha256([...ids].sort().join('\n')).slice(0, 8)}`, study, jobs };
}

function product(axes: Study['axes']): Array<Record<string, AxisValue>> {
  let points: Array<Record<string, AxisValue>> = [{}];
  for (const axis of axes) points = points.flatMap((p) => axis.values.map((v) => ({ ...p, [axis.name]: v })));
  return points;
}

/** A task's experiment input (a name under `tasks`, a preset, or the study's base alone) with the base merged over it. */
function resolveTask(study: Study, name: string, point: Readonly<Record<string, AxisValue>>, ctx: ParseContext): { input: unknown; experiment: Experiment } {
  let input: unknown;
  if (name === 'base') input = study.base;
  else if (study.tasks[name] !== undefined) input = mergeExperimentInput(study.tasks[name], study.base);
  else if (isPresetName(name) && name !== 'regression-family') input = mergeExperimentInput({ preset: name }, study.base);
  else
    throw new StudyError(
      `${pointPath(point)}.task`,
      name,
      `must be a preset (xor, regression, iris) or a name under tasks${Object.keys(study.tasks).length ? ` (${Object.keys(study.tasks).join(', ')})` : ''}`,
    );
  input = expandPreset(input);
  return { input, experiment: parse(input, point, ctx) };
}

function expandPreset(input: unknown): unknown {
  const o = input as Json;
  if (typeof o?.preset !== 'string' || !isPresetName(o.preset)) return input;
  const { preset, ...rest } = o;
  return mergeExperimentInput(presetInput(preset as never), rest);
}

function buildJob(study: Study, point: Readonly<Record<string, AxisValue>>, taskName: string, task: { input: unknown; experiment: Experiment }, ctx: ParseContext): Job {
  const path = pointPath(point);
  let patch: Json = {};
  let topology = 'network';
  let size: number | null = null;
  if (point.topology !== undefined || point.size !== undefined) {
    topology = String(point.topology ?? 'lattice');
    if (!(TOPOLOGIES as readonly string[]).includes(topology)) throw new StudyError(`${path}.topology`, point.topology, `must be one of ${TOPOLOGIES.join(', ')}`);
    if (typeof point.size !== 'number' || !Number.isInteger(point.size) || point.size < 2)
      throw new StudyError(`${path}.size`, point.size, 'must be an integer ≥ 2 (the lattice side; other topologies get side² nodes)');
    size = point.size;
    const network = networkOf(topology as TopologyName, size);
    patch = { network, ...(sameNetwork(network, task.experiment) ? {} : { roles: { place: placementOf(task.experiment.roles) } }) };
  }
  for (const [name, value] of Object.entries(point)) {
    if (name === 'task' || name === 'topology' || name === 'size') continue;
    patch = mergeExperimentInput(patch, nested(name.split('.'), value)) as Json;
  }
  const label = Object.entries(point)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  const input = mergeExperimentInput(task.input, { ...patch, name: `${study.name} ${label || taskName}`.slice(0, 200) });
  const experiment = parse(input, point, ctx);
  // The id hashes what runs, not what it is called: the same experiment in two studies is one job.
  const id = sha256(JSON.stringify({ ...experiment, name: '', description: '' })).slice(0, 16);
  return { id, params: { ...point }, task: taskName, topology, size, experiment };
}

function parse(input: unknown, point: Readonly<Record<string, AxisValue>>, ctx: ParseContext): Experiment {
  try {
    const plan = planFromInput(input, {}, ctx);
    if (plan.kind !== 'run') throw new StudyError(`${pointPath(point)}.task`, point.task, 'must be one experiment, not a family');
    return plan.experiment;
  } catch (err) {
    if (err instanceof ExperimentError && !(err instanceof StudyError)) throw new StudyError(`${pointPath(point)}: ${err.path}`, err.value, err.allowed);
    throw err;
  }
}

/** How an error names a point: its axis values, e.g. "point {task: xor, size: 2}". */
function pointPath(point: Readonly<Record<string, AxisValue>>): string {
  return `point {${Object.entries(point)
    .map(([k, v]) => `${k}: ${v}`)
    .join(', ')}}`;
}

function nested(keys: string[], value: AxisValue): Json {
  return keys.reduceRight<unknown>((inner, key) => ({ [key]: inner }), value) as Json;
}

/** The network a topology of side `size` means: side × side nodes whatever the topology, so sizes compare. */
export function networkOf(topology: TopologyName, size: number): Json {
  switch (topology) {
    case 'lattice':
      return { lattice: { rows: size, cols: size, periodic: true } };
    case 'open-lattice':
      return { lattice: { rows: size, cols: size, periodic: false } };
    case 'small-world':
      // One long-range edge per ten nodes: the lattice's local structure stays, the diameter shrinks.
      return { 'small-world': { rows: size, cols: size, shortcuts: Math.max(1, Math.round((size * size) / 10)) } };
    case 'random-regular':
      // Degree 4, as the periodic lattice: the same edges per node, no geometry.
      return { 'random-regular': { nodes: size * size, degree: 4 } };
    default: {
      const never: never = topology;
      throw new StudyError('topology', never, `must be one of ${TOPOLOGIES.join(', ')}`);
    }
  }
}

function sameNetwork(network: Json, exp: Experiment): boolean {
  const lattice = network.lattice as { rows: number; cols: number; periodic: boolean } | undefined;
  const n = exp.network;
  return lattice !== undefined && n.kind === 'lattice' && n.rows === lattice.rows && n.cols === lattice.cols && n.periodic === lattice.periodic;
}

/** The task's roles as a placement rule: as many inputs, the same rails, the same kind and number of outputs. */
function placementOf(roles: Roles): Placement {
  const outputs = outputCount({ roles });
  return {
    inputs: roles.inputs.length,
    rails: roles.rails.map((r) => r.volts),
    output: isDifferential(roles) ? 'differential' : 'single',
    ...(outputs > 1 || Array.isArray(roles.output) ? { outputs: outputSpecs(roles).length } : {}),
  };
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
