/**
 * Resolving what the user named on the command line — a preset or a JSON/YAML file — into
 * experiments. A file may start from a preset with `"preset": "xor"` and override fields.
 * Overrides from flags (--seed, --steps, --time) are applied last.
 */
import { parse as parseYaml } from 'yaml';
import type { Experiment } from './experiment';
import { mergeExperimentInput, parseExperiment, type ParseContext } from './parse';
import { PRESET_NAMES, chipCalibrationPreset, irisPreset, regressionFamilyTasks, regressionPreset, xorPreset, type PresetName } from './presets';
import { ExperimentError, isObject } from './validate';

export interface Overrides {
  readonly seed?: number;
  readonly steps?: number;
  readonly time_s?: number;
}

export type Plan = { readonly kind: 'run'; readonly experiment: Experiment } | { readonly kind: 'family'; readonly name: string; readonly experiments: Experiment[] };

function applyOverrides(input: unknown, o: Overrides): unknown {
  const patch: Record<string, unknown> = {};
  if (o.seed !== undefined) patch.seed = o.seed;
  if (o.steps !== undefined) patch.schedule = { steps: o.steps };
  if (o.time_s !== undefined) patch.schedule = { time_s: o.time_s };
  return mergeExperimentInput(input, patch);
}

export function presetInput(name: PresetName): unknown {
  switch (name) {
    case 'xor':
      return xorPreset();
    case 'regression':
      return regressionPreset();
    case 'iris':
      return irisPreset();
    case 'chip-calibration':
      return chipCalibrationPreset();
    case 'regression-family':
      return {
        family: 'regression-family',
        tasks: regressionFamilyTasks().map((t, i) => regressionPreset(t, `regression-family/${String(i + 1).padStart(2, '0')} a=${t.a_V} b=${t.b_V} c=${t.c_V}`)),
      };
    default: {
      const never: never = name;
      throw new ExperimentError('(preset)', never, `must be one of ${PRESET_NAMES.join(', ')}`);
    }
  }
}

/** Parse a JSON or YAML experiment file's text. */
export function parseExperimentText(text: string, fileName: string): unknown {
  try {
    return /\.ya?ml$/i.test(fileName) ? parseYaml(text) : JSON.parse(text);
  } catch (err) {
    throw new ExperimentError(fileName, text.slice(0, 40), `must be valid ${/\.ya?ml$/i.test(fileName) ? 'YAML' : 'JSON'} (${(err as Error).message.split('\n')[0]})`);
  }
}

/** Resolve a user's input (preset name already expanded, or file contents) into a plan. */
export function planFromInput(input: unknown, overrides: Overrides, ctx: ParseContext): Plan {
  let value = input;
  if (isObject(value) && value.preset !== undefined) {
    const { preset, ...rest } = value;
    if (typeof preset !== 'string' || !(PRESET_NAMES as readonly string[]).includes(preset))
      throw new ExperimentError('preset', preset, `must be one of ${PRESET_NAMES.join(', ')}`);
    value = mergeExperimentInput(presetInput(preset as PresetName), rest);
  }
  if (isObject(value) && value.family !== undefined) {
    const tasks = value.tasks;
    if (!Array.isArray(tasks) || tasks.length === 0) throw new ExperimentError('tasks', tasks, 'must be a non-empty array of experiments');
    return { kind: 'family', name: String(value.family), experiments: tasks.map((t, i) => prefixErrors(`tasks[${i}]`, () => parseExperiment(applyOverrides(t, overrides), ctx))) };
  }
  return { kind: 'run', experiment: parseExperiment(applyOverrides(value, overrides), ctx) };
}

export function isPresetName(name: string): name is PresetName {
  return (PRESET_NAMES as readonly string[]).includes(name);
}

function prefixErrors<T>(prefix: string, f: () => T): T {
  try {
    return f();
  } catch (err) {
    if (err instanceof ExperimentError) throw new ExperimentError(`${prefix}.${err.path}`, err.value, err.allowed);
    throw err;
  }
}
