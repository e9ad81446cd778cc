/**
 * The language-neutral contract (docs/signals.schema.json, docs/contracts.md): the checked-in
 * schema is what the generator makes of the TypeScript contracts now; it rejects what
 * checkSignal rejects (and the differences are the ones documented). That every signal of a
 * real run matches it is test/experiments/schema-log.spec.ts.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Experiment } from './experiment';
import { CONTRACT_VERSION, EMITTER, SIGNAL_TYPES, SOURCES, encodeFloat64, toRecord, type Signal, type SignalData, type SignalType, type Source } from './signals';
import { xorExperiment } from './testing/experiment-fixture';
import { signalValidators } from './testing/schema-validation';
import { checkSignal } from './validate';

const root = join(__dirname, '..', '..', '..');
const published = readFileSync(join(root, 'docs', 'signals.schema.json'), 'utf8');
const schema = JSON.parse(published) as Record<string, unknown> & { $defs: Record<string, Record<string, unknown>> };
const validators = signalValidators(schema);

// The XOR fixture, with every optional part of an experiment filled in (mismatch, damage, a mixed rig).
const experiment: Experiment = xorExperiment({
  description: 'schema spec',
  schedule: { steps: 2000 },
  imperfections: { mismatch: { vtoSigma_V: 0.01, kpRelSigma: 0.005 }, damage: [{ edge: 3, kind: 'open', at_s: 0.5 }] },
  rig: { supervisor: 'sim', 'edge-physics': 'sim', clamping: 'mirror', measurement: 'bridge:/dev/ttyACM0' },
});
const gates = encodeFloat64(Float64Array.of(3.5, 3.25, 1.1));

/** One valid signal of every type (typed: a new signal type does not compile without one). */
const SAMPLES: { readonly [T in SignalType]: SignalData[T] } = {
  RunCreated: { contract: CONTRACT_VERSION, experiment, mode: 'embedded', startedAt_ms: 1796117036889 },
  RunFinished: { steps: 2000 },
  RunAborted: { reason: 'stopped', step: 17 },
  PotentiometerSet: { position: 64, positions: 128, eta: 0.5 },
  PatchMapSet: {
    channels: [
      { kind: 'node', node: 0 },
      { kind: 'label', output: 0 },
    ],
  },
  StepStarted: { step: 0, datapoint: 1 },
  DacWritten: {
    writes: [
      { channel: 2, code: 63 },
      { channel: 3, code: 228, volts: 0.5 },
    ],
  },
  LearningEnabled: { step: 0, duration_ns: 100000 },
  FreeOutputMeasured: { step: 0, substep: 0, outputs_V: [0.227, 0.234] },
  ClampOutputSet: { step: 0, substep: 0, drives: 'voltage', values: [0.207, 0.254] },
  GatesEvolved: { step: 0, gates, datapoint: 1 },
  TestStepStarted: { step: 0 },
  TestDatapointApplied: { step: 0, datapoint: 0 },
  NodesSettled: { step: 0, datapoint: 0, free_V: [0, 0.05], gates, failed: 'Newton did not converge' },
  DemuxSelected: { step: 0, datapoint: 0, address: 1 },
  AdcSampled: { step: 0, datapoint: 0, address: 1, nodeCode: 30, gateCode: 90.5, repeats: 2 },
  TestStepFinished: { step: 0 },
  ServiceStarted: { service: 'clamping', resumeFrom: 12 },
  PortBound: { service: 'measurement', adapter: 'bridge:tcp://10.0.0.2:5000' },
  RunCancelled: { reason: 'cancelled by the user (Ctrl-C)', step: 1200 },
  RunResumed: { step: 1200 },
  RunFaulted: { service: 'edge-physics', reason: 'RunCreated: network.edges.map is not a function' },
  StateSnapshot: { step: 999, gates: 'AAAAAAAADEA=', warm: 'AAAAAAAA+H8=' },
};

function sample<T extends SignalType>(type: T, data: unknown = SAMPLES[type], meta: object = {}): Signal {
  const emitter = EMITTER[type];
  const source: Source = emitter === 'any' ? (SAMPLES[type] as { service: Source }).service : emitter;
  return { type, meta: { v: CONTRACT_VERSION, runId: 'run-1', source, seq: 5, t_ns: 100000, ...meta }, data } as Signal;
}

const schemaAccepts = (value: unknown): boolean => validators.signal(value) === null;
const omit = (o: object, key: string): object => Object.fromEntries(Object.entries(o).filter(([k]) => k !== key));
const fail = (message: string): never => {
  throw new Error(message);
};

describe('docs/signals.schema.json', () => {
  it('is what `npm run contracts:schema` generates from the contracts now', () => {
    // The generator is a script (scripts/ belongs to no project): run it as one.
    const run = spawnSync(process.execPath, [require.resolve('tsx/cli'), join(root, 'scripts', 'contract-schema.ts'), '--print'], {
      cwd: root,
      encoding: 'utf8',
      maxBuffer: 64 << 20,
    });
    if (run.status !== 0) throw new Error(`scripts/contract-schema.ts --print exited ${run.status ?? run.signal}:\n${run.stderr}`);
    const fresh = run.stdout;
    if (fresh !== published) {
      const a = published.split('\n');
      const b = fresh.split('\n');
      const line = a.findIndex((l, i) => l !== b[i]);
      throw new Error(
        `docs/signals.schema.json is stale: run \`npm run contracts:schema\` and commit the result.\nfirst difference, line ${line + 1}:\n  checked in: ${a[line]}\n  generated:  ${b[line]}`,
      );
    }
  });

  it('is draft 2020-12, names the contract version, and has one branch per SIGNAL_TYPES entry in order', () => {
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(schema['x-contract-version']).toBe(CONTRACT_VERSION);
    expect(schema.$id).toBe(`urn:metatwin:contracts:signals:v${CONTRACT_VERSION}`);
    expect(schema['x-signal-types']).toEqual([...SIGNAL_TYPES]);
    expect(schema.$defs.SignalType.enum).toEqual([...SIGNAL_TYPES]);
    expect(schema['x-emitters']).toEqual(EMITTER);
    expect(schema.oneOf).toEqual(SIGNAL_TYPES.map((t) => ({ $ref: `#/$defs/${t}` })));
    SIGNAL_TYPES.forEach((type, index) => {
      const branch = schema.$defs[type];
      expect(branch).toMatchObject({ 'x-type-index': index, 'x-emitter': EMITTER[type], properties: { type: { const: type }, data: { $ref: `#/$defs/${type}Data` } } });
      expect((schema.$defs.LogRecord.oneOf as unknown[])[index]).toMatchObject({ title: type, prefixItems: [{ const: index }, true, true, { $ref: `#/$defs/${type}Data` }] });
    });
    expect(Object.keys(SAMPLES)).toEqual([...SIGNAL_TYPES]);
  });

  it("docs/contracts.md's emitter table is SIGNAL_TYPES and EMITTER", () => {
    const page = readFileSync(join(root, 'docs', 'contracts.md'), 'utf8');
    const rows = [...page.matchAll(/\| (\d+) (\w+) *\| ([\w-]+) *\|/g)].map((m) => [Number(m[1]), m[2], m[3]]).sort((a, b) => (a[0] as number) - (b[0] as number));
    expect(rows).toEqual(SIGNAL_TYPES.map((t, i) => [i, t, EMITTER[t]]));
  });

  it("docs/contracts.md's JSON examples match the schema (a batch as $defs/LogBatch, a signal as the root)", () => {
    const page = readFileSync(join(root, 'docs', 'contracts.md'), 'utf8');
    const examples = [...page.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => JSON.parse(m[1]) as Record<string, unknown>);
    expect(examples.length).toBeGreaterThanOrEqual(3);
    for (const example of examples) {
      const errors = 'records' in example ? validators.batch(example) : validators.signal(example);
      if (errors)
        throw new Error(
          `docs/contracts.md example ${JSON.stringify(example).slice(0, 80)}… does not match the schema:\n${errors.map((e) => `  ${e.instancePath} ${e.message}`).join('\n')}`,
        );
    }
  });

  it.each(SIGNAL_TYPES.map((t) => [t]))('accepts a valid %s, as checkSignal does, in wire and stored form', (type) => {
    const s = sample(type);
    expect(checkSignal(s)).toMatchObject({ ok: true });
    expect(validators.signal(s)).toBeNull();
    expect(validators.batch({ runId: s.meta.runId, source: s.meta.source, firstSeq: 5, lastSeq: 5, records: [toRecord(s)] })).toBeNull();
  });

  it.each<[string, unknown, RegExp]>([
    ['a DAC code of 300', sample('DacWritten', { writes: [{ channel: 0, code: 300 }] }), /\/data\/writes\/0\/code must be <= 255/],
    ['a DAC write without a channel', sample('DacWritten', { writes: [{ code: 3 }] }), /\/data\/writes\/0 must have required property 'channel'/],
    ['a DAC write without its writes', sample('DacWritten', {}), /\/data must have required property 'writes'/],
    ['a fractional DAC code', sample('DacWritten', { writes: [{ channel: 1, code: 2.5 }] }), /\/data\/writes\/0\/code must be integer/],
    ['channel 256', sample('DacWritten', { writes: [{ channel: 256, code: 1 }] }), /\/data\/writes\/0\/channel must be <= 255/],
    ['an empty latch', sample('DacWritten', { writes: [] }), /\/data\/writes must NOT have fewer than 1 items/],
    [
      'a channel twice in one latch',
      sample('DacWritten', {
        writes: [
          { channel: 1, code: 2 },
          { channel: 1, code: 3 },
        ],
      }),
      /\/data\/writes must contain at least 0 and no more than 1 valid item/,
    ],
    ['an extra field', sample('DacWritten', { writes: [{ channel: 1, code: 2, colour: 'red' }] }), /must NOT have additional properties \(colour\)/],
    ['a DAC write from the clamping service', sample('DacWritten', undefined, { source: 'clamping' }), /\/meta\/source must be equal to constant/],
    ['contract version 1 in meta', sample('DacWritten', undefined, { v: 1 }), /\/meta\/v must be equal to constant/],
    ['seq 0', sample('StepStarted', undefined, { seq: 0 }), /\/meta\/seq must be >= 1/],
    ['a run id with a dot', sample('StepStarted', undefined, { runId: 'a.b' }), /\/meta\/runId must match pattern/],
    ['RunCreated of another contract version', sample('RunCreated', { ...SAMPLES.RunCreated, contract: 1 }), /\/data\/contract must be equal to constant/],
    ['an experiment without a rig', sample('RunCreated', { ...SAMPLES.RunCreated, experiment: omit(experiment, 'rig') }), /\/data\/experiment must have required property 'rig'/],
    ['gates that are not base64', sample('GatesEvolved', { step: 1, gates: '!!' }), /\/data\/gates must match pattern/],
    ['a sample that is not a number', sample('FreeOutputMeasured', { step: 1, substep: 0, outputs_V: [0.1, 'x'] }), /\/data\/outputs_V\/1 must be number/],
    ['ServiceStarted about another service', sample('ServiceStarted', { service: 'supervisor', resumeFrom: 0 }), /must match a schema in anyOf/],
    ['a bridge without an address', sample('PortBound', { service: 'measurement', adapter: 'bridge:' }), /\/data\/adapter must match pattern/],
    ['an unknown signal type', { type: 'Teleported', meta: sample('StepStarted').meta, data: {} }, /must match exactly one schema in oneOf/],
  ])('rejects %s', (_what, value, says) => {
    const errors = validators.signal(value);
    expect(errors).not.toBeNull();
    expect((errors ?? []).map((e) => `${e.instancePath} ${e.message}`).join('\n')).toMatch(says);
    expect(checkSignal(value).ok).toBe(_what === 'an extra field' || _what === 'an experiment without a rig');
  });

  it.each<[string, unknown, RegExp]>([
    [
      'a record of a type its source does not emit',
      { runId: 'run-1', source: 'clamping', firstSeq: 1, lastSeq: 1, records: [toRecord(sample('DacWritten'))] },
      /\/records\/0\/0 must be equal to one of the allowed values/,
    ],
    [
      'a record with five fields',
      { runId: 'run-1', source: 'supervisor', firstSeq: 1, lastSeq: 1, records: [[6, 1, 0, { writes: [{ channel: 1, code: 2 }] }, 'x']] },
      /\/records\/0/,
    ],
    [
      `type index ${SIGNAL_TYPES.length}`,
      { runId: 'run-1', source: 'supervisor', firstSeq: 1, lastSeq: 1, records: [[SIGNAL_TYPES.length, 1, 0, {}]] },
      new RegExp(`/records/0/0 must be <= ${SIGNAL_TYPES.length - 1}`),
    ],
    [
      'a stored DAC code of 300',
      { runId: 'run-1', source: 'supervisor', firstSeq: 1, lastSeq: 1, records: [[6, 1, 0, { writes: [{ channel: 1, code: 300 }] }]] },
      /\/records\/0\/3\/writes\/0\/code DacWritten: must be <= 255/,
    ],
    ['firstSeq 0', { runId: 'run-1', source: 'supervisor', firstSeq: 0, lastSeq: 1, records: [[6, 1, 0, { writes: [{ channel: 1, code: 3 }] }]] }, /\/firstSeq must be >= 1/],
  ])('rejects a stored batch with %s', (_what, value, says) => {
    const errors = validators.batch(value);
    expect(errors).not.toBeNull();
    expect((errors ?? []).map((e) => `${e.instancePath} ${e.message}`).join('\n')).toMatch(says);
  });

  it('agrees with checkSignal at every bound of every field, and on every missing required field', () => {
    const disagreements: string[] = [];
    const compare = (what: string, value: unknown): void => {
      const bySchema = schemaAccepts(value);
      const byCode = checkSignal(value).ok;
      if (bySchema !== byCode) disagreements.push(`${what}: schema ${bySchema ? 'accepts' : 'rejects'}, checkSignal ${byCode ? 'accepts' : 'rejects'}`);
    };
    const probes = (p: { type?: string; minimum?: number; maximum?: number }): number[] => {
      const out: number[] = [];
      if (p.minimum !== undefined) out.push(p.minimum, p.minimum - 1);
      if (p.maximum !== undefined) out.push(p.maximum, p.maximum + 1);
      if (p.type === 'integer') out.push((p.minimum ?? 0) + 0.5);
      return out;
    };
    let probed = 0;
    for (const type of SIGNAL_TYPES) {
      const data = schema.$defs[`${type}Data`] as { properties: Record<string, { type?: string; minimum?: number; maximum?: number }>; required: string[] };
      for (const [field, property] of Object.entries(data.properties)) {
        // JSON Schema cannot compare two fields: checkSignal also wants position < positions.
        if (type === 'PotentiometerSet' && field === 'position') continue;
        // … and probes positions with the wiper at 0, which every count of positions has.
        const base = type === 'PotentiometerSet' ? { ...SAMPLES.PotentiometerSet, position: 0 } : SAMPLES[type];
        for (const value of probes(property)) {
          probed++;
          compare(`${type}.data.${field} = ${value}`, sample(type, { ...base, [field]: value }));
        }
      }
      for (const field of data.required) compare(`${type} without data.${field}`, sample(type, omit(SAMPLES[type], field)));
      // Arrays of objects (DAC writes, patch targets): every bound and required field of every item.
      for (const [field, property] of Object.entries(data.properties) as [string, { items?: { $ref?: string } }][]) {
        const def = property.items?.$ref?.replace('#/$defs/', '');
        if (!def) continue;
        const items = (SAMPLES[type] as unknown as Record<string, Record<string, unknown>[]>)[field];
        items.forEach((item, j) => {
          const branches = (schema.$defs[def].anyOf ?? [schema.$defs[def]]) as { properties: Record<string, { const?: unknown }>; required: string[] }[];
          const branch =
            branches.find((b) => Object.entries(b.properties).every(([k, p]) => p.const === undefined || p.const === item[k])) ??
            fail(`no branch of ${def} for ${JSON.stringify(item)}`);
          const withItem = (next: object): Signal => sample(type, { ...SAMPLES[type], [field]: items.map((it, k) => (k === j ? next : it)) });
          for (const [key, p] of Object.entries(branch.properties)) {
            for (const value of probes(p as { type?: string; minimum?: number; maximum?: number })) {
              probed++;
              compare(`${type}.data.${field}[${j}].${key} = ${value}`, withItem({ ...item, [key]: value }));
            }
          }
          for (const key of branch.required) compare(`${type}.data.${field}[${j}] without ${key}`, withItem(omit(item, key)));
        });
      }
      const meta = schema.$defs.SignalMeta.properties as Record<string, { type?: string; minimum?: number; maximum?: number }>;
      for (const field of ['seq', 't_ns']) for (const value of probes(meta[field])) compare(`${type}.meta.${field} = ${value}`, sample(type, undefined, { [field]: value }));
      for (const source of SOURCES) compare(`${type} from ${source}`, sample(type, undefined, { source }));
    }
    compare('a latch of no writes', sample('DacWritten', { writes: [] }));
    compare(
      'a latch writing one channel twice',
      sample('DacWritten', {
        writes: [
          { channel: 4, code: 1 },
          { channel: 4, code: 1 },
        ],
      }),
    );
    compare('a latch of all eight channels', sample('DacWritten', { writes: Array.from({ length: 8 }, (_, channel) => ({ channel, code: channel })) }));
    compare('nine DAC channels patched', sample('PatchMapSet', { channels: Array(9).fill({ kind: 'node', node: 0 }) }));
    compare('a label on output 9', sample('PatchMapSet', { channels: [{ kind: 'label', output: 9 }] }));
    expect(probed).toBeGreaterThan(100);
    expect(disagreements).toEqual([]);
  });
});
