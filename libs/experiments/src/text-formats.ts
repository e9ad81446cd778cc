/**
 * JSON and YAML text from files a user names, parsed as hostile input. A syntax error is
 * reported by line and column only: V8's JSON errors quote the text around the error
 * ("Unexpected token 'r', "root:x:0:0"... is not valid JSON") and the yaml library's print the
 * offending line, and neither may reach an error message. The parsed value is then checked for
 * nesting depth and for keys that would reach an object's prototype, before any recursive code
 * (mergeExperimentInput, the validators) walks it.
 */
import { parse as parseYaml } from 'yaml';

/** Most YAML alias expansions in one file (the yaml library's default, stated so it stays): a "billion laughs" file is refused. */
export const YAML_MAX_ALIASES = 100;
/** Largest YAML text parsed (characters): the yaml library takes ≈ 2 s and 70 MB per MiB, and hand-written files are a few kB. */
export const YAML_MAX_CHARS = 1024 * 1024;
/** Deepest nesting of objects and arrays in an experiment, study or data file; the deepest real one (a chip file) is 4. */
export const MAX_NESTING = 64;

export type Parsed = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly problem: string };

/** JSON text, or where its first syntax error is. */
export function parseJsonText(text: string): Parsed {
  try {
    return checked(JSON.parse(text));
  } catch {
    const at = jsonErrorOffset(text);
    if (at < 0) return { ok: false, problem: 'text JSON cannot read' };
    return { ok: false, problem: at >= text.length ? `text that ends early (${lineColumn(text, text.length)})` : `a syntax error at ${lineColumn(text, at)}` };
  }
}

/** YAML text (one document), or what is wrong with it: where, and the yaml library's error code, never its message. */
export function parseYamlText(text: string): Parsed {
  if (text.length > YAML_MAX_CHARS) return { ok: false, problem: `${text.length} characters, more than the ${YAML_MAX_CHARS} YAML_MAX_CHARS` };
  let value: unknown;
  try {
    // logLevel 'error': errors are thrown, warnings (which quote unknown tags) are not printed.
    value = parseYaml(text, { maxAliasCount: YAML_MAX_ALIASES, uniqueKeys: true, logLevel: 'error' });
  } catch (err) {
    return { ok: false, problem: yamlProblem(err) };
  }
  return checked(value);
}

function yamlProblem(err: unknown): string {
  const e = err as { message?: unknown; code?: unknown; linePos?: ReadonlyArray<{ line: number; col: number }> };
  const message = typeof e.message === 'string' ? e.message : '';
  // The parser recurses per nesting level: a deep file overflows its stack (it reports that as a YAMLParseError, or throws the RangeError).
  if (err instanceof RangeError || message.includes('call stack')) return `nesting deeper than the YAML parser can follow (at most ${MAX_NESTING} levels are allowed)`;
  if (message.startsWith('Excessive alias count')) return `more alias expansions than the ${YAML_MAX_ALIASES} YAML_MAX_ALIASES`;
  if (message.startsWith('Unresolved alias')) return 'an alias to an anchor not set before it';
  const pos = Array.isArray(e.linePos) ? e.linePos[0] : undefined;
  const code = typeof e.code === 'string' && /^[A-Z_]{1,40}$/.test(e.code) ? ` (${e.code})` : '';
  return pos === undefined ? `text YAML cannot read${code}` : `a syntax error at line ${pos.line}, column ${pos.col}${code}`;
}

/** The parsed value, if it nests at most MAX_NESTING deep and has no __proto__ key. Iterative: a deep value cannot overflow the stack here. */
function checked(value: unknown): Parsed {
  const stack: Array<{ v: unknown; depth: number }> = [{ v: value, depth: 0 }];
  while (stack.length > 0) {
    const { v, depth } = stack.pop() as { v: unknown; depth: number };
    if (typeof v !== 'object' || v === null) continue;
    // A YAML alias inside its own anchor makes a cycle: it is found here as unbounded depth.
    if (depth >= MAX_NESTING) return { ok: false, problem: `objects or arrays nested more than ${MAX_NESTING} deep (MAX_NESTING)` };
    if (Array.isArray(v)) {
      for (const x of v) if (typeof x === 'object' && x !== null) stack.push({ v: x, depth: depth + 1 });
      continue;
    }
    for (const key of Object.keys(v)) {
      // Assigning it while merging (mergeExperimentInput) would replace the merged object's prototype.
      if (key === '__proto__') return { ok: false, problem: 'a key "__proto__", which no field has' };
      const x = (v as Record<string, unknown>)[key];
      if (typeof x === 'object' && x !== null) stack.push({ v: x, depth: depth + 1 });
    }
  }
  return { ok: true, value };
}

/** "line L, column C" of a character offset (both from 1). */
export function lineColumn(text: string, offset: number): string {
  let line = 1;
  let start = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    start = i + 1;
  }
  return `line ${line}, column ${offset - start + 1}`;
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const LITERAL = /true|false|null/y;
const HEX4 = /^[0-9a-fA-F]{4}$/;

/**
 * The offset of the first character that cannot continue valid JSON (RFC 8259), text.length
 * when the text ends early, or −1 when the text is valid JSON. Iterative, with an explicit
 * stack of open containers, so it follows any depth JSON.parse does.
 */
export function jsonErrorOffset(s: string): number {
  const open: string[] = [];
  let i = 0;
  const skip = (): void => {
    for (let c = s.charCodeAt(i); c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d; c = s.charCodeAt(++i));
  };
  /** A string starting at s[i] === '"'; false with i at the offending character. */
  const string = (): boolean => {
    for (i++; i < s.length;) {
      const c = s.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return true;
      }
      if (c < 0x20) return false;
      if (c !== 0x5c) {
        i++;
        continue;
      }
      const e = s[i + 1];
      if (e === 'u' && HEX4.test(s.slice(i + 2, i + 6))) i += 6;
      else if (e !== undefined && '"\\/bfnrt'.includes(e)) i += 2;
      else {
        i++;
        return false;
      }
    }
    return false;
  };
  /** A key and its colon, at s[i] after skipping whitespace. */
  const key = (): boolean => {
    skip();
    if (s[i] !== '"' || !string()) return false;
    skip();
    if (s[i] !== ':') return false;
    i++;
    return true;
  };
  for (;;) {
    // A value.
    skip();
    const c = s[i];
    if (c === '{' || c === '[') {
      i++;
      skip();
      if (s[i] === (c === '{' ? '}' : ']')) i++;
      else {
        open.push(c);
        if (c === '{' && !key()) return i;
        continue;
      }
    } else if (c === '"') {
      if (!string()) return i;
    } else {
      const pattern = c === 't' || c === 'f' || c === 'n' ? LITERAL : NUMBER;
      pattern.lastIndex = i;
      if (!pattern.test(s)) return i;
      i = pattern.lastIndex;
    }
    // After a value: commas and closing brackets until the next value, or the end.
    for (;;) {
      skip();
      if (open.length === 0) return i < s.length ? i : -1;
      const top = open[open.length - 1];
      if (s[i] === ',') {
        i++;
        if (top === '{' && !key()) return i;
        break;
      }
      if (s[i] !== (top === '{' ? '}' : ']')) return i;
      i++;
      open.pop();
    }
  }
}
