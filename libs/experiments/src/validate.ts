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

export function show(v: unknown): string {
  if (v === undefined) return 'nothing';
  const s = JSON.stringify(v);
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
    if (!known.includes(key)) throw new ExperimentError(`${path}.${key}`, o[key], `is not a known field (allowed: ${known.join(', ')})`);
  }
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
