/**
 * Checking values against the published schema (docs/signals.schema.json) with Ajv, for
 * schema.spec.ts and scripts/check-signal-log.ts: validators for a signal in wire form, a
 * stored batch and any definition, with errors that name the field; and the check of a whole
 * log's batches (read by the caller through the event log: contracts depend on no other lib).
 * Test code: ajv is a dev dependency.
 */
import Ajv2020, { type ErrorObject, type ValidateFunction } from 'ajv/dist/2020';
import { SIGNAL_TYPES, fromRecord, type Source } from '../signals';
import { encodeSignal } from '../validate';

type Schema = Record<string, unknown>;

export interface SchemaError {
  readonly instancePath: string;
  readonly message: string;
}

export interface SignalValidators {
  /** A signal in wire form against the root; null when valid. */
  signal(value: unknown): SchemaError[] | null;
  /** A stored batch against $defs/LogBatch; null when valid. */
  batch(value: unknown): SchemaError[] | null;
  /** Any definition by name ($defs/<name>), e.g. 'DacWritten' or 'DacWrittenData'. */
  definition(name: string, value: unknown): SchemaError[] | null;
}

/** Errors outside oneOf/anyOf branches first: they hold whatever every branch would fail on. */
const branchDepth = (e: ErrorObject): number => (e.schemaPath.match(/\/(oneOf|anyOf)\//g) ?? []).length;

function errorsOf(errors: ErrorObject[] | null | undefined, limit: number): SchemaError[] {
  const sorted = [...(errors ?? [])].sort((a, b) => branchDepth(a) - branchDepth(b));
  return sorted.slice(0, limit).map((e) => ({
    instancePath: e.instancePath || '/',
    message: `${e.message ?? e.keyword}${e.keyword === 'additionalProperties' ? ` (${String((e.params as { additionalProperty?: string }).additionalProperty)})` : e.keyword === 'const' || e.keyword === 'enum' ? ` ${JSON.stringify(e.params)}` : ''}`,
  }));
}

/**
 * Ajv (draft 2020-12, strict mode) over the schema. The x-* keywords are annotations; they are
 * declared as such. A value failing the root's oneOf is re-checked against the branch its
 * `type` names, so the errors say what is wrong rather than "must match exactly one schema".
 */
export function signalValidators(schema: Schema, limit = 5): SignalValidators {
  const ajv = new Ajv2020({ strict: true, allErrors: true });
  const annotations = new Set<string>();
  const collect = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(collect);
    if (typeof node !== 'object' || node === null) return;
    for (const [k, v] of Object.entries(node)) {
      if (k.startsWith('x-')) annotations.add(k);
      collect(v);
    }
  };
  collect(schema);
  ajv.addVocabulary([...annotations].sort());
  ajv.addSchema(schema);
  const id = schema.$id as string;
  const compiled = new Map<string, ValidateFunction>();
  const get = (pointer: string): ValidateFunction => {
    let v = compiled.get(pointer);
    if (!v) {
      v = ajv.getSchema(`${id}${pointer}`);
      if (!v) throw new Error(`no ${pointer} in the schema`);
      compiled.set(pointer, v);
    }
    return v;
  };
  const root = get('#');
  const check = (v: ValidateFunction, value: unknown): SchemaError[] | null => (v(value) ? null : errorsOf(v.errors, limit));
  return {
    signal(value) {
      if (root(value)) return null;
      const type = (value as { type?: unknown } | null)?.type;
      if (typeof type === 'string' && (SIGNAL_TYPES as readonly string[]).includes(type)) return check(get(`#/$defs/${type}`), value) ?? errorsOf(root.errors, limit);
      // No branch to blame: say so, with the root's own verdict.
      return [
        { instancePath: '/type', message: `must be one of x-signal-types, got ${JSON.stringify(type)}` },
        ...errorsOf(
          root.errors?.filter((e) => e.instancePath === '' && e.keyword === 'oneOf'),
          1,
        ),
      ];
    },
    batch(value) {
      const v = get('#/$defs/LogBatch');
      if (v(value)) return null;
      // Name the record: re-check the first record that fails alone, against its type's data.
      const records = (value as { records?: unknown } | null)?.records;
      if (Array.isArray(records)) {
        const record = get('#/$defs/LogRecord');
        for (let i = 0; i < records.length; i++) {
          if (record(records[i])) continue;
          const r = records[i] as unknown[];
          const type = Array.isArray(r) ? SIGNAL_TYPES[r[0] as number] : undefined;
          const at = (path: string, inner: string): string => `/records/${i}${path}${inner === '/' ? '' : inner}`;
          const index = Array.isArray(r) && !type ? check(get('#/$defs/SignalTypeIndex'), r[0]) : null;
          if (index) return index.map((e) => ({ instancePath: at('/0', e.instancePath), message: e.message }));
          const precise = type && r.length === 4 ? check(get(`#/$defs/${type}Data`), r[3]) : null;
          if (precise) return precise.map((e) => ({ instancePath: at('/3', e.instancePath), message: `${type}: ${e.message}` }));
          return errorsOf(record.errors, limit).map((e) => ({ instancePath: at('', e.instancePath), message: type ? `${type}: ${e.message}` : e.message }));
        }
      }
      return errorsOf(v.errors, limit);
    },
    definition(name, value) {
      return check(get(`#/$defs/${name}`), value);
    },
  };
}

export interface LogBatchLine {
  readonly file: string;
  readonly line: number;
  readonly batch: { readonly runId: string; readonly source: string; readonly firstSeq: number; readonly lastSeq: number; readonly records: ReadonlyArray<unknown> };
}

export interface LogFailure {
  readonly where: string;
  readonly form: 'stored' | 'wire';
  readonly type: string | undefined;
  readonly errors: SchemaError[];
}

export interface LogCheck {
  readonly runIds: string[];
  readonly batches: number;
  readonly signals: number;
  /** Signals per type, SIGNAL_TYPES order, types present only. */
  readonly byType: Record<string, number>;
  readonly failureCount: number;
  /** The first few failures. */
  readonly failures: LogFailure[];
}

/** Stored batches against $defs/LogBatch, and each record in wire form against the root. */
export function checkLogBatches(lines: readonly LogBatchLine[], validators: SignalValidators, maxFailures = 5): LogCheck {
  const runIds = new Set<string>();
  const counts = new Map<string, number>();
  const failures: LogFailure[] = [];
  let failureCount = 0;
  let signals = 0;
  const fail = (f: LogFailure): void => {
    failureCount++;
    if (failures.length < maxFailures) failures.push(f);
  };
  for (const { file, line, batch } of lines) {
    runIds.add(batch.runId);
    const where = `${file}:${line}`;
    const stored = validators.batch(batch);
    if (stored) fail({ where, form: 'stored', type: undefined, errors: stored });
    (batch.records ?? []).forEach((record, i) => {
      signals++;
      let wire: unknown;
      try {
        wire = JSON.parse(Buffer.from(encodeSignal(fromRecord(record, batch.runId, batch.source as Source))).toString('utf8'));
      } catch (err) {
        fail({ where: `${where} record ${i}`, form: 'wire', type: undefined, errors: [{ instancePath: '/', message: (err as Error).message }] });
        return;
      }
      const type = (wire as { type: string }).type;
      counts.set(type, (counts.get(type) ?? 0) + 1);
      const errors = validators.signal(wire);
      if (errors) fail({ where: `${where} record ${i} (seq ${(wire as { meta: { seq: number } }).meta.seq})`, form: 'wire', type, errors });
    });
  }
  const byType = Object.fromEntries(SIGNAL_TYPES.filter((t) => counts.has(t)).map((t) => [t, counts.get(t) as number]));
  return { runIds: [...runIds], batches: lines.length, signals, byType, failureCount, failures };
}

export function formatFailures(check: LogCheck): string {
  return check.failures
    .map((f) => `${f.form} form${f.type ? ` ${f.type}` : ''} at ${f.where}:\n${f.errors.map((e) => `    ${e.instancePath} ${e.message}`).join('\n')}`)
    .join('\n');
}
