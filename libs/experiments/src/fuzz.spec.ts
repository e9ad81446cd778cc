/**
 * Property-based tests of every parser of user files (issue 14), seeded and reproducible: at
 * least 10,000 generated cases each. Whatever the input, a parser returns, or throws its own
 * ExperimentError whose message names where ("field: " or "file line N: ") and what is wrong —
 * never a TypeError, a RangeError from the engine or a stack overflow — and an error about a
 * file the experiment names never quotes that file. A failure prints its seed and path: run
 * again with them (fc.assert's `seed` and `path`) to reproduce it.
 */
import fc from 'fast-check';
import { parseCsvDataset } from './csv';
import { planFromInput, parseExperimentText } from './load';
import { mergeExperimentInput, parseChip, parseExperiment, type ParseContext } from './parse';
import { irisPreset, regressionPreset, xorPreset } from './presets';
import { jsonErrorOffset } from './text-formats';
import { ExperimentError } from './validate';

const RUNS = 10_000;
const SEED = 14;
/** A string a file may hold and no error may repeat. */
const SECRET = 'Zq9-SECRET-x7';

/** An ExperimentError of the form "where: what is wrong, got what" (the rest is a crash). */
function expectNamedRejection(err: unknown): void {
  if (!(err instanceof ExperimentError)) throw err;
  expect(err.message).toMatch(/^\S.*: \S.*, got \S/);
  expect(err.path.length).toBeGreaterThan(0);
  expect(err.allowed.length).toBeGreaterThan(0);
}

function acceptsOrNames(f: () => unknown): void {
  try {
    f();
  } catch (err) {
    expectNamedRejection(err);
  }
}

/** Text near a format: pieces of valid syntax, junk and the secret, glued at random. */
const textOf = (pieces: readonly string[]): fc.Arbitrary<string> =>
  fc.array(fc.oneof(fc.constantFrom(...pieces), fc.string({ maxLength: 6 }), fc.constant(SECRET)), { maxLength: 24 }).map((parts) => parts.join(''));

const JSON_PIECES = ['{', '}', '[', ']', ',', ':', '"', '"nodes"', '"edges"', '0', '1', '-1', '2.5', '1e400', 'null', 'true', ' ', '\n', '\\u00', '"\\', '__proto__'];
const YAML_PIECES = [...JSON_PIECES, '- ', '&a ', '*a', '.nan', '.inf', '!!str ', '? ', '|\n', '>', '#', '---\n', '  ', 'name: x\n', 'seed: ', 'clamp:\n  eta: '];

/** Any JSON-like value, with the numbers JSON cannot hold (YAML can). */
const valueArb = fc.oneof(
  { depthSize: 'small' },
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom(Number.NaN, Infinity, -Infinity, -0, 1e308, 2 ** 53, SECRET, [], {}),
  fc.array(fc.array(fc.integer({ min: -2, max: 40 }), { maxLength: 3 }), { maxLength: 6 }),
);

const PRESETS: ReadonlyArray<() => unknown> = [xorPreset, regressionPreset, irisPreset];
/** Field paths of the presets, and some that are not fields. */
const PATHS = [
  'name',
  'seed',
  'network',
  'network.lattice.rows',
  'network.lattice.periodic',
  'network.nodes',
  'network.edges',
  'network.random-regular',
  'network.small-world.shortcuts',
  'transistor.kp_AperV2',
  'initialGates_V',
  'roles',
  'roles.inputs',
  'roles.place',
  'roles.place.outputs',
  'roles.output',
  'roles.output.node',
  'roles.rails',
  'dataset',
  'dataset.inputs',
  'dataset.labels',
  'dataset.trainingPoints',
  'dataset.classNames',
  'dataset.piecewiseLinear.points',
  'clamp.kind',
  'clamp.eta',
  'schedule.steps',
  'schedule.time_s',
  'schedule.t_h_s',
  'learning.gMin_V',
  'quantisation.adcRepeats',
  'imperfections.damage',
  'imperfections.mismatch',
  'imperfections.chip',
  'rig.supervisor',
  'preset',
  'family',
  'tasks',
  'constructor',
  'toString',
];

/** `value` written at a dotted path, as an override file would (mergeExperimentInput). */
const at = (path: string, value: unknown): Record<string, unknown> =>
  path
    .split('.')
    .reverse()
    .reduce<unknown>((v, k) => ({ [k]: v }), value) as Record<string, unknown>;

const noFiles: ParseContext = {
  readText: (p) => {
    throw Object.assign(new Error(`no file ${p}`), { code: 'ENOENT' });
  },
};

describe('jsonErrorOffset agrees with JSON.parse', () => {
  it(`on ${RUNS} generated texts`, () => {
    fc.assert(
      fc.property(
        fc.oneof(
          textOf(JSON_PIECES),
          fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
        ),
        (text) => {
          let valid = true;
          try {
            JSON.parse(text);
          } catch {
            valid = false;
          }
          const offset = jsonErrorOffset(text);
          expect(offset < 0).toBe(valid);
          if (!valid) expect(offset).toBeLessThanOrEqual(text.length);
        },
      ),
      { numRuns: RUNS, seed: SEED },
    );
  });
});

describe('experiment files', () => {
  it(`parseExperimentText then the plan: ${RUNS} generated JSON and YAML texts`, () => {
    fc.assert(
      fc.property(fc.oneof(textOf(JSON_PIECES), textOf(YAML_PIECES)), fc.boolean(), (text, yaml) => {
        acceptsOrNames(() => {
          const input = parseExperimentText(text, yaml ? 'e.yaml' : 'e.json');
          return planFromInput(input, {}, noFiles);
        });
      }),
      { numRuns: RUNS, seed: SEED },
    );
  });

  it(`the plan path: ${RUNS} presets with one to three fields changed to anything`, () => {
    const change = fc.tuple(fc.constantFrom(...PATHS), valueArb).map(([p, v]) => at(p, v));
    fc.assert(
      fc.property(fc.constantFrom(...PRESETS), fc.array(change, { minLength: 1, maxLength: 3 }), fc.boolean(), (preset, changes, viaPreset) => {
        const base = viaPreset ? { preset: 'xor' } : preset();
        const input = changes.reduce((acc, c) => mergeExperimentInput(acc, c), base);
        acceptsOrNames(() => planFromInput(input, { steps: 10 }, noFiles));
      }),
      { numRuns: RUNS, seed: SEED },
    );
  });
});

/** A network file's text: an edge list near the right shape, or text near JSON. */
const networkText = fc.oneof(
  fc
    .record(
      {
        nodes: fc.oneof(fc.integer({ min: -1, max: 12 }), valueArb),
        edges: fc.oneof(fc.array(fc.tuple(fc.integer({ min: -1, max: 12 }), fc.integer({ min: -1, max: 12 })), { maxLength: 12 }), valueArb),
        [SECRET]: valueArb,
      },
      { requiredKeys: ['nodes'] },
    )
    .map((o) => JSON.stringify(o)),
  textOf(JSON_PIECES),
);

describe('network files', () => {
  it(`${RUNS} generated files: a network or a named rejection that never quotes the file`, () => {
    const input = mergeExperimentInput(regressionPreset(), { network: { file: 'net.json' }, roles: { inputs: [0], rails: [], output: { node: 1 } } });
    fc.assert(
      fc.property(networkText, (text) => {
        try {
          parseExperiment(input, { readText: () => text });
        } catch (err) {
          expectNamedRejection(err);
          expect((err as Error).message).not.toContain(SECRET);
        }
      }),
      { numRuns: RUNS, seed: SEED },
    );
  });
});

describe('chip files', () => {
  it(`${RUNS} generated files: a chip or a named rejection that never quotes the file`, () => {
    const values = fc.oneof(fc.array(fc.double({ min: -1, max: 1 }), { minLength: 4, maxLength: 4 }), valueArb);
    const chipText = fc.oneof(
      fc
        .record(
          {
            format: fc.oneof(fc.constant('metatwin-chip/1'), valueArb),
            edges: fc.oneof(fc.constant(4), valueArb),
            free: fc.oneof(fc.record({ vto_V: values, k_AperV2: values }), valueArb),
            clamped: fc.oneof(fc.constant(null), fc.record({ vto_V: values, k_AperV2: values, [SECRET]: valueArb }, { requiredKeys: [] })),
            learningOffsets_V2: values,
          },
          { requiredKeys: ['format'] },
        )
        .map((o) => JSON.stringify(o)),
      textOf(JSON_PIECES),
    );
    fc.assert(
      fc.property(chipText, (text) => {
        try {
          parseChip('chip.json', 4, { readText: () => text });
        } catch (err) {
          expectNamedRejection(err);
          expect((err as Error).message).not.toContain(SECRET);
        }
      }),
      { numRuns: RUNS, seed: SEED },
    );
  });
});

describe('CSV datasets', () => {
  it(`${RUNS} generated files: a dataset or a named rejection that never quotes the file`, () => {
    const cell = fc.oneof(
      fc.double({ noNaN: false }).map(String),
      fc.integer({ min: -3, max: 3 }).map(String),
      fc.constantFrom('', ' ', 'nan', 'Infinity', '-inf', '1e999', '0x10', '1_0', '.5', '5.', '+.5e-3', '#', SECRET),
      fc.string({ maxLength: 5 }),
    );
    const line = fc.oneof(
      fc.array(cell, { minLength: 1, maxLength: 5 }).map((cs) => cs.join(',')),
      fc.constantFrom('', '# comment', '\r', 'v,label'),
    );
    const csv = fc.tuple(fc.array(line, { maxLength: 12 }), fc.constantFrom('\n', '\r\n')).map(([lines, eol]) => lines.join(eol));
    fc.assert(
      fc.property(csv, fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 2 }), (text, inputs, outputs) => {
        try {
          const data = parseCsvDataset(text, inputs, outputs, 'dataset.csv(d.csv)');
          expect(data.inputs.length).toBeGreaterThan(0);
          expect(data.labels).toHaveLength(data.inputs.length * outputs);
          for (const v of [...data.inputs.flat(), ...data.labels]) expect(Number.isFinite(v)).toBe(true);
        } catch (err) {
          expectNamedRejection(err);
          expect((err as Error).message).toMatch(/^dataset\.csv\(d\.csv\)/);
          expect((err as Error).message).not.toContain(SECRET);
        }
      }),
      { numRuns: RUNS, seed: SEED },
    );
  });
});
