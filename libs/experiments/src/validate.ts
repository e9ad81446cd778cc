/**
 * Small helpers for validating experiment files: every failure names the field (a JSON
 * path), the value found and what is allowed.
 */
export class ExperimentError extends Error {
  constructor(
    readonly path: string,
    readonly value: unknown,
    readonly allowed: string,
  ) {
    super(`${path}: ${allowed}, got ${show(value)}`);
    this.name = 'ExperimentError';
  }
}

/**
 * What an error shows in place of a value it must not echo: the content of a file the user
 * named (a network, CSV or chip file) is described by its kind and size, never quoted.
 */
export class Described {
  constructor(readonly text: string) {}
}

/** A value's kind and size, without its content ("a string of 31 characters", "an array of 4 entries"). */
export function describe(v: unknown): Described {
  if (typeof v === 'number') return new Described(Number.isFinite(v) ? 'a number' : String(v));
  if (typeof v === 'string') return new Described(`a string of ${v.length} character${v.length === 1 ? '' : 's'}`);
  if (typeof v === 'boolean') return new Described('true or false');
  if (v === null) return new Described('null');
  if (v === undefined) return new Described('nothing');
  if (Array.isArray(v)) return new Described(`an array of ${v.length} entr${v.length === 1 ? 'y' : 'ies'}`);
  if (v instanceof Described) return v;
  return new Described(typeof v === 'object' ? 'an object' : `a ${typeof v}`);
}

// JSON writes NaN and ±Infinity as null, so an error would say "got null" for a YAML .nan or
// .inf: they are marked while stringifying and written out by name.
const NON_FINITE = /"\\u0000(NaN|-?Infinity|-?\d+n)\\u0000"/g;

export function show(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v instanceof Described) return v.text;
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
  let s: string | undefined;
  try {
    s = JSON.stringify(v, (_key, x: unknown) =>
      typeof x === 'number' && !Number.isFinite(x) ? `\u0000${x}\u0000` : typeof x === 'bigint' ? `\u0000${x}n\u0000` : x instanceof Described ? x.text : x,
    )?.replace(NON_FINITE, '$1');
  } catch {
    // A structure JSON cannot write (a cycle a YAML alias made): its kind, not a crash.
    s = describe(v).text;
  }
  return s === undefined ? String(v) : s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

export type Json = Record<string, unknown>;

export const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

export function object(v: unknown, path: string): Json {
  if (!isObject(v)) throw new ExperimentError(path, v, 'must be an object');
  return v;
}

/** Reject keys that are not in `known`, so a typo is an error and not a silent default. */
export function onlyKeys(o: Json, known: readonly string[], path: string): void {
  for (const key of Object.keys(o)) {
    if (!known.includes(key)) throw new UnknownFieldError(path, key, o[key], known);
  }
}

/** A key not among an object's fields: the error keeps the object's path, so the key can be left out where it is a file's content. */
export class UnknownFieldError extends ExperimentError {
  constructor(
    readonly parent: string,
    key: string,
    value: unknown,
    readonly known: readonly string[],
  ) {
    super(`${parent}.${fieldName(key)}`, value, `is not a known field (allowed: ${known.join(', ')})`);
  }
}

/**
 * Run `f`, whose input is the content of a file the user named: an error it throws keeps its
 * path and what is allowed, but describes the value (and leaves out an unknown key's name)
 * rather than quote the file.
 */
export function withoutContent<T>(f: () => T): T {
  try {
    return f();
  } catch (err) {
    if (err instanceof UnknownFieldError) throw new ExperimentError(err.parent, new Described('a field of another name'), `must hold only known fields (${err.known.join(', ')})`);
    if (err instanceof ExperimentError) throw new ExperimentError(err.path, describe(err.value), err.allowed);
    throw err;
  }
}

/** A key as an error names it: a typo is shown, a key that no field could be (long, control characters) only described. */
function fieldName(key: string): string {
  return /^[\x21-\x7e]{1,64}$/.test(key) ? key : `(a key of ${key.length} characters)`;
}

export function num(v: unknown, path: string, rule: (x: number) => boolean = () => true, allowed = 'must be a finite number'): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || !rule(v)) throw new ExperimentError(path, v, allowed);
  return v;
}

export function optNum(v: unknown, path: string, fallback: number, rule?: (x: number) => boolean, allowed?: string): number {
  return v === undefined ? fallback : num(v, path, rule, allowed);
}

export function int(v: unknown, path: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  return num(v, path, (x) => Number.isInteger(x) && x >= min && x <= max, max === Number.MAX_SAFE_INTEGER ? `must be an integer ≥ ${min}` : `must be an integer in ${min}..${max}`);
}

export function bool(v: unknown, path: string, fallback: boolean): boolean {
  if (v === undefined) return fallback;
  if (typeof v !== 'boolean') throw new ExperimentError(path, v, 'must be true or false');
  return v;
}

export function str<T extends string>(v: unknown, path: string, allowed: readonly T[], fallback?: T): T {
  if (v === undefined && fallback !== undefined) return fallback;
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v))
    throw new ExperimentError(path, v, `must be one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}`);
  return v as T;
}

export function array(v: unknown, path: string, minLength = 0): unknown[] {
  if (!Array.isArray(v) || v.length < minLength) throw new ExperimentError(path, v, minLength > 0 ? `must be an array of at least ${minLength} entries` : 'must be an array');
  return v;
}
