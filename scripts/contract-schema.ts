/**
 * `npm run contracts:schema` (npx tsx scripts/contract-schema.ts [--check | --print]): the signal
 * contracts of libs/contracts as one JSON Schema (draft 2020-12), written to
 * docs/signals.schema.json, for firmware, a Python bridge or anything else that speaks the
 * signals without TypeScript. See docs/contracts.md.
 *
 * ts-json-schema-generator turns the TypeScript types (SignalData, SignalMeta, Experiment, …)
 * into draft-07 definitions with their doc comments as descriptions; this script then
 *  - moves them to draft 2020-12 ($defs, prefixItems for tuples),
 *  - adds what TypeScript cannot say: integers and ranges (schema-constraints.ts, from the
 *    constants checkSignal uses), base64 payloads, the AdapterChoice template literal as a
 *    pattern, doc comments of union members, which source emits each signal (EMITTER),
 *  - builds the root (one branch per SIGNAL_TYPES entry: {type, meta, data}) and the stored
 *    form ($defs/LogBatch, $defs/LogRecord: [typeIndex, seq, t_ns, data]),
 *  - drops definitions nothing refers to and orders keys canonically, so the output is
 *    byte-for-byte stable and can be checked in.
 * `--check` writes nothing and exits 1 when the checked-in file is stale; `--print` writes the
 * schema to stdout instead of the file (what schema.spec.ts compares with the checked-in file).
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { createGenerator } from 'ts-json-schema-generator';
import * as ts from 'typescript';
import { ADAPTER_PATTERN, DATA_CONSTRAINTS, DEFINITION_CONSTRAINTS, META_CONSTRAINTS, SAFE_INTEGER_MAX, type SchemaFragment } from '../libs/contracts/src/schema-constraints';
import { CONTRACT_VERSION, EMITTER, SIGNAL_TYPES, SOURCES, type SignalType } from '../libs/contracts/src/signals';

export const ROOT = join(__dirname, '..');
export const CONTRACTS_DIR = join(ROOT, 'libs', 'contracts', 'src');
export const SCHEMA_FILE = join(ROOT, 'docs', 'signals.schema.json');
export const SCHEMA_DIALECT = 'https://json-schema.org/draft/2020-12/schema';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Schema = { [key: string]: Json };

const isObject = (v: unknown): v is Schema => typeof v === 'object' && v !== null && !Array.isArray(v);
const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;
const ref = (name: string): Schema => ({ $ref: `#/$defs/${name}` });
const dataDef = (type: SignalType): string => `${type}Data`;
/** A stored record's shape, [typeIndex, seq, t_ns, data], spelled out in full wherever a part is constrained (strict validators want whole tuples). */
const record = (typeIndex: Json, seq: Json, t_ns: Json, data: Json): Schema => ({ type: 'array', minItems: 4, prefixItems: [typeIndex, seq, t_ns, data], items: false });

function fail(message: string): never {
  throw new Error(`contract-schema: ${message}`);
}

/** Draft-07 output of ts-json-schema-generator for every exported type of signals.ts and what it references. */
function generateDefinitions(): Record<string, Schema> {
  const generator = createGenerator({
    path: join(CONTRACTS_DIR, 'signals.ts'),
    tsconfig: join(ROOT, 'tsconfig.base.json'),
    type: '*',
    expose: 'export',
    topRef: true,
    jsDoc: 'extended',
    sortProps: false,
    strictTuples: true,
    skipTypeCheck: true,
    additionalProperties: false,
    functions: 'hide',
  });
  const generated = generator.createSchema('*') as unknown as Schema;
  if (!isObject(generated.definitions)) fail('the generator produced no definitions');
  return generated.definitions as Record<string, Schema>;
}

/** Draft-07 → 2020-12 in place: `#/definitions/` refs, tuple `items: [...]` → `prefixItems`. */
function toDraft2020(node: Json): Json {
  if (Array.isArray(node)) return node.map(toDraft2020);
  if (!isObject(node)) return node;
  const out: Schema = {};
  for (const [k, v] of Object.entries(node)) out[k] = toDraft2020(v);
  if (typeof out.$ref === 'string') out.$ref = out.$ref.replace(/^#\/definitions\//, '#/$defs/');
  if (Array.isArray(out.items)) {
    const tuple = out.items;
    out.prefixItems = tuple;
    out.items = 'additionalItems' in out ? out.additionalItems : false;
    delete out.additionalItems;
    if (out.items === false && out.maxItems === tuple.length) delete out.maxItems;
  }
  return out;
}

/** `/** … *\/` doc comments of each member of every exported union type alias in the contracts, by alias name. */
function unionMemberDocs(): Map<string, Array<string | undefined>> {
  const docs = new Map<string, Array<string | undefined>>();
  for (const file of readdirSync(CONTRACTS_DIR)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.spec.ts'))
    .sort()) {
    const text = readFileSync(join(CONTRACTS_DIR, file), 'utf8');
    const source = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
    for (const statement of source.statements) {
      if (!ts.isTypeAliasDeclaration(statement) || !ts.isUnionTypeNode(statement.type)) continue;
      const union = statement.type;
      const members = union.types.map((member, i) => {
        // A member's comment sits before its `|` (trivia of the separator) or right after it.
        const before = ts.getLeadingCommentRanges(text, i === 0 ? union.pos : union.types[i - 1].end) ?? [];
        const comments = [...before, ...(ts.getLeadingCommentRanges(text, member.pos) ?? [])];
        const last = comments.filter((c) => text.startsWith('/**', c.pos)).pop();
        if (!last) return undefined;
        return text
          .slice(last.pos + 3, last.end - 2)
          .split('\n')
          .map((line) => line.replace(/^\s*\*\s?/, '').trim())
          .filter(Boolean)
          .join(' ');
      });
      if (members.some(Boolean)) docs.set(statement.name.text, members);
    }
  }
  return docs;
}

function addDescription(schema: Schema, extra: string | undefined): void {
  if (!extra) return;
  schema.description = typeof schema.description === 'string' ? `${schema.description} ${extra}` : extra;
}

/** Merge a constraint into a generated property schema (whose `type` is 'number', 'string' or 'array'). */
function constrain(property: Json | undefined, fragment: SchemaFragment, where: string): void {
  if (!isObject(property)) fail(`${where}: no such property in the generated schema (schema-constraints.ts is out of step with the types)`);
  const { note, type, uniqueKey, ...keywords } = fragment;
  if (uniqueKey) {
    if (property.type !== 'array') fail(`${where}: uniqueKey on a property of type ${JSON.stringify(property.type)}`);
    const { property: key, values } = uniqueKey;
    property.allOf = values.map((value) => ({ contains: { type: 'object', properties: { [key]: { const: value } }, required: [key] }, minContains: 0, maxContains: 1 }));
  }
  if (type === 'integer') {
    if (property.type !== 'number') fail(`${where}: integer constraint on a property of type ${JSON.stringify(property.type)}`);
    property.type = 'integer';
  }
  Object.assign(property, keywords);
  addDescription(property, note);
}

function constrainObject(schema: Schema, table: { readonly [k: string]: SchemaFragment | undefined }, where: string): void {
  const properties = schema.properties;
  if (!isObject(properties)) fail(`${where}: not an object schema`);
  for (const [key, fragment] of Object.entries(table)) if (fragment) constrain(properties[key], fragment, `${where}.${key}`);
}

/** Every `$ref` target reachable from `start`. */
function reachable(defs: Record<string, Schema>, start: Json): Set<string> {
  const seen = new Set<string>();
  const visit = (node: Json): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (!isObject(node)) return;
    if (typeof node.$ref === 'string') {
      const name = /^#\/\$defs\/([^/]+)/.exec(node.$ref)?.[1];
      if (!name || !(name in defs)) fail(`dangling reference ${node.$ref}`);
      if (!seen.has(name)) {
        seen.add(name);
        visit(defs[name]);
      }
    }
    Object.values(node).forEach(visit);
  };
  visit(start);
  return seen;
}

/** Keyword order in the output; anything else follows, alphabetically. */
const KEY_ORDER = [
  '$schema',
  '$id',
  '$ref',
  'title',
  'description',
  '$comment',
  'x-contract-version',
  'x-signal-types',
  'x-emitters',
  'x-type-index',
  'x-emitter',
  'type',
  'const',
  'enum',
  'pattern',
  'minimum',
  'maximum',
  'maxLength',
  'contentEncoding',
  'examples',
  'minItems',
  'maxItems',
  'contains',
  'minContains',
  'maxContains',
  'prefixItems',
  'items',
  'properties',
  'required',
  'additionalProperties',
  'if',
  'then',
  'else',
  'anyOf',
  'oneOf',
  'allOf',
  '$defs',
];
const SUBSCHEMA = new Set(['items', 'additionalProperties', 'contains', 'if', 'then', 'else', 'not']);
const SUBSCHEMA_LISTS = new Set(['prefixItems', 'anyOf', 'oneOf', 'allOf']);

/** Canonical key order: keywords by KEY_ORDER, `$defs` by name, `properties` in declaration order. */
function canonical(schema: Json): Json {
  if (!isObject(schema)) return schema;
  const rank = (k: string): number => (KEY_ORDER.includes(k) ? KEY_ORDER.indexOf(k) : KEY_ORDER.length);
  const keys = Object.keys(schema).sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
  const out: Schema = {};
  for (const k of keys) {
    const v = schema[k];
    if (k === '$defs' && isObject(v))
      out[k] = Object.fromEntries(
        Object.keys(v)
          .sort()
          .map((name) => [name, canonical(v[name])]),
      );
    else if (k === 'properties' && isObject(v)) out[k] = Object.fromEntries(Object.entries(v).map(([name, s]) => [name, canonical(s)]));
    else if (SUBSCHEMA.has(k)) out[k] = canonical(v);
    else if (SUBSCHEMA_LISTS.has(k) && Array.isArray(v)) out[k] = v.map(canonical);
    else out[k] = clone(v);
  }
  return out;
}

/** The schema document. */
export function buildSignalSchema(): Schema {
  const generated = toDraft2020(generateDefinitions() as unknown as Json) as Record<string, Schema>;
  const defs: Record<string, Schema> = {};
  for (const [name, schema] of Object.entries(generated)) defs[name] = schema;

  // Doc comments on union members (ts-json-schema-generator keeps only the alias's own).
  for (const [name, members] of unionMemberDocs()) {
    const branches = defs[name]?.anyOf;
    if (!Array.isArray(branches) || branches.length !== members.length) continue;
    branches.forEach((branch, i) => {
      if (isObject(branch) && members[i] && branch.description === undefined) branch.description = members[i] as string;
    });
  }

  // `'sim' | 'mirror' | \`bridge:${string}\`` comes out as a bare string.
  const adapter = defs.AdapterChoice;
  if (!adapter || adapter.type !== 'string' || 'enum' in adapter || 'anyOf' in adapter)
    fail(`AdapterChoice is no longer generated as a bare string (${JSON.stringify(adapter)?.slice(0, 80)}): review the pattern post-processing`);
  Object.assign(adapter, { pattern: ADAPTER_PATTERN, examples: ['sim', 'mirror', 'bridge:/dev/ttyACM0', 'bridge:tcp://host:port'] });

  constrainObject(defs.SignalMeta ?? fail('no SignalMeta'), META_CONSTRAINTS, 'SignalMeta');
  if (!isObject(defs.SignalMeta.properties) || !isObject(defs.SignalMeta.properties.v) || defs.SignalMeta.properties.v.const !== CONTRACT_VERSION)
    fail('SignalMeta.v is not the constant CONTRACT_VERSION');
  defs.SignalMeta.properties.v.type = 'integer';
  for (const [name, table] of Object.entries(DEFINITION_CONSTRAINTS)) {
    const def = defs[name] ?? fail(`no definition ${name}`);
    const branches = Array.isArray(def.anyOf) ? (def.anyOf.filter(isObject) as Schema[]) : [def];
    for (const [key, fragment] of Object.entries(table)) {
      const holders = branches.filter((b) => isObject(b.properties) && key in b.properties);
      if (!holders.length) fail(`${name}.${key}: no such property`);
      holders.forEach((b) => constrain((b.properties as Schema)[key], fragment, `${name}.${key}`));
    }
  }

  // The signals: one data definition and one branch per type, in SIGNAL_TYPES order.
  const signalData = defs.SignalData ?? fail('no SignalData');
  const dataProps = signalData.properties as Record<string, Schema>;
  const declared = Object.keys(dataProps);
  if (declared.length !== SIGNAL_TYPES.length || SIGNAL_TYPES.some((t) => !declared.includes(t)))
    fail(`SignalData members ${declared.join(', ')} differ from SIGNAL_TYPES ${SIGNAL_TYPES.join(', ')}`);
  for (const def of ['SignalData', 'Signal', 'SignalRecord']) delete defs[def];

  SIGNAL_TYPES.forEach((type, index) => {
    const data = dataProps[type];
    const doc = typeof data.description === 'string' ? data.description : undefined;
    delete data.description;
    constrainObject(data, DATA_CONSTRAINTS[type], type);
    defs[dataDef(type)] = { title: dataDef(type), description: `The data of a ${type} signal (SignalData['${type}']).`, ...data };
    const emitter = EMITTER[type];
    const branch: Schema = {
      title: type,
      ...(doc ? { description: doc } : {}),
      'x-type-index': index,
      'x-emitter': emitter,
      type: 'object',
      properties: {
        type: { const: type },
        meta: emitter === 'any' ? ref('SignalMeta') : { ...ref('SignalMeta'), type: 'object', properties: { source: { const: emitter } } },
        data: ref(dataDef(type)),
      },
      required: ['type', 'meta', 'data'],
      additionalProperties: false,
    };
    if (emitter === 'any') {
      const service = (dataProps[type].properties as Schema | undefined)?.service;
      if (!service) fail(`${type} is emitted by any service but has no data.service naming it`);
      addDescription(branch, 'Sent by any service about itself: data.service is meta.source.');
      branch.anyOf = SOURCES.map((s) => ({
        type: 'object',
        properties: { meta: { type: 'object', properties: { source: { const: s } } }, data: { type: 'object', properties: { service: { const: s } } } },
      }));
    }
    defs[type] = branch;
  });

  defs.SignalType = {
    title: 'SignalType',
    description: "Every signal type, in SIGNAL_TYPES order: a type's position in this list is its typeIndex in the stored form (LogRecord).",
    type: 'string',
    enum: [...SIGNAL_TYPES],
  };
  defs.SignalTypeIndex = {
    title: 'SignalTypeIndex',
    description: 'A signal type by its position in SIGNAL_TYPES (see SignalType, or x-signal-types at the root).',
    type: 'integer',
    minimum: 0,
    maximum: SIGNAL_TYPES.length - 1,
  };

  // The stored form: what one line of <runId>.jsonl (file log) or one JetStream message holds.
  const metaProps = defs.SignalMeta.properties as Schema;
  defs.LogRecord = {
    title: 'LogRecord',
    description:
      'The stored form of one signal inside a LogBatch: [typeIndex, seq, t_ns, data] (toRecord / fromRecord). The batch header supplies runId and source; meta.v is the contract version of the reader (a log is read only by the contract that wrote it).',
    ...record(ref('SignalTypeIndex'), clone(metaProps.seq), clone(metaProps.t_ns), { type: 'object' }),
    oneOf: SIGNAL_TYPES.map((type, index) => ({ title: type, ...record({ const: index }, true, true, ref(dataDef(type))) })),
  };
  defs.LogBatch = {
    title: 'LogBatch',
    description:
      'A batch of the event log (libs/eventlog): the signals one source emitted with sequence numbers firstSeq..lastSeq, one record per number (records.length = lastSeq − firstSeq + 1, and each batch continues its (run, source) at the previous lastSeq + 1: checked by the event log, not expressible here). A record may only carry a type its source emits (EMITTER).',
    type: 'object',
    properties: {
      runId: clone(metaProps.runId),
      source: ref('Source'),
      firstSeq: { ...(clone(metaProps.seq) as Schema), description: 'Sequence number of the first record.' },
      lastSeq: { ...(clone(metaProps.seq) as Schema), description: 'Sequence number of the last record.' },
      records: { type: 'array', minItems: 1, items: ref('LogRecord') },
    },
    required: ['runId', 'source', 'firstSeq', 'lastSeq', 'records'],
    additionalProperties: false,
    allOf: SOURCES.map((source) => ({
      if: { type: 'object', properties: { source: { const: source } } },
      then: {
        type: 'object',
        properties: {
          records: {
            type: 'array',
            items: record({ enum: SIGNAL_TYPES.flatMap((t, i) => (EMITTER[t] === source || EMITTER[t] === 'any' ? [i] : [])) }, true, true, true),
          },
        },
      },
    })),
  };

  const headerDoc = /^\/\*\*([\s\S]*?)\*\//.exec(readFileSync(join(CONTRACTS_DIR, 'signals.ts'), 'utf8'))?.[1] ?? '';
  const root: Schema = {
    $schema: SCHEMA_DIALECT,
    $id: `urn:metatwin:contracts:signals:v${CONTRACT_VERSION}`,
    title: `metatwin signals, contract version ${CONTRACT_VERSION}`,
    description: [
      headerDoc
        .split('\n')
        .map((l) => l.replace(/^\s*\*\s?/, '').trim())
        .filter(Boolean)
        .join(' '),
      'This document validates one signal in its wire form (the JSON of {type, meta, data}, as sent on NATS); $defs/LogBatch validates the stored form. Generated from libs/contracts by scripts/contract-schema.ts (npm run contracts:schema): do not edit by hand. See docs/contracts.md.',
    ].join(' '),
    'x-contract-version': CONTRACT_VERSION,
    'x-signal-types': [...SIGNAL_TYPES],
    'x-emitters': Object.fromEntries(SIGNAL_TYPES.map((t) => [t, EMITTER[t]])),
    oneOf: SIGNAL_TYPES.map((t) => ref(t)),
  };

  // Keep what the root and the stored form refer to.
  const keep = reachable(defs, [root.oneOf, ref('LogBatch'), ref('SignalType')] as Json);
  root.$defs = Object.fromEntries(Object.entries(defs).filter(([name]) => keep.has(name))) as Json;
  if (!Number.isSafeInteger(SAFE_INTEGER_MAX)) fail('SAFE_INTEGER_MAX');
  return canonical(root) as Schema;
}

/** The file's text: two-space JSON, a final newline. */
export function renderSignalSchema(): string {
  return JSON.stringify(buildSignalSchema(), null, 2) + '\n';
}

function main(argv: string[]): number {
  const started = process.hrtime.bigint();
  const text = renderSignalSchema();
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  const where = relative(process.cwd(), SCHEMA_FILE);
  if (argv.includes('--print')) {
    process.stdout.write(text);
    return 0;
  }
  if (argv.includes('--check')) {
    let current = '';
    try {
      current = readFileSync(SCHEMA_FILE, 'utf8');
    } catch {
      /* missing: stale */
    }
    if (current === text) {
      process.stdout.write(`${where} is up to date (${ms.toFixed(0)} ms)\n`);
      return 0;
    }
    process.stderr.write(`${where} is stale: run npm run contracts:schema\n`);
    return 1;
  }
  writeFileSync(SCHEMA_FILE, text);
  const defs = Object.keys(JSON.parse(text).$defs).length;
  process.stdout.write(
    `wrote ${where}: ${Buffer.byteLength(text)} bytes, ${SIGNAL_TYPES.length} signal types, ${defs} definitions, draft 2020-12, contract version ${CONTRACT_VERSION} (${ms.toFixed(0)} ms)\n`,
  );
  return 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
