/**
 * Resolving what the user named on the command line — a preset or a JSON/YAML file — into
 * experiments. A file may start from a preset with `"preset": "xor"` and override fields.
 * Overrides from flags (--seed, --steps, --time) are applied last.
 */
import type { Experiment } from './experiment';
import { mergeExperimentInput, parseExperiment, type ParseContext } from './parse';
import { PRESET_NAMES, chipCalibrationPreset, irisPreset, regressionFamilyTasks, regressionPreset, xorPaperPreset, xorPreset, type PresetName } from './presets';
import { parseJsonText, parseYamlText } from './text-formats';
import { Described, ExperimentError, describe, isObject } from './validate';

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
    case 'xor-paper':
      return xorPaperPreset();
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

/**
 * Parse a JSON or YAML experiment (or study) file's text into its top-level object. YAML is
 * held to YAML_MAX_ALIASES and YAML_MAX_CHARS, both to MAX_NESTING (text-formats.ts); a
 * syntax error is named by line and column, without quoting the file.
 */
export function parseExperimentText(text: string, fileName: string): unknown {
  const yaml = /\.ya?ml$/i.test(fileName);
  const parsed = yaml ? parseYamlText(text) : parseJsonText(text);
  if (!parsed.ok) throw new ExperimentError(fileName, new Described(parsed.problem), `must be valid ${yaml ? 'YAML' : 'JSON'}`);
  // A file of another kind (a YAML file of plain text, a JSON list) is described, not quoted.
  if (!isObject(parsed.value)) throw new ExperimentError(fileName, describe(parsed.value), `must hold ${yaml ? 'a YAML mapping' : 'a JSON object'} of fields`);
  return parsed.value;
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
