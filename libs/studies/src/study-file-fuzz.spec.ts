/**
 * Study files as hostile input (issue 14), property-based and seeded: 10,000 generated texts
 * and 10,000 generated study objects. A study file parses, or is refused with a StudyError
 * naming the field and the problem; YAML aliases and nesting are held to an experiment file's
 * limits (parseStudyText goes through parseExperimentText). Never a TypeError, a RangeError
 * from the engine or a stack overflow.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { YAML_MAX_ALIASES } from '@metatwin/experiments';
import { StudyError, parseStudy, parseStudyText } from './study-file';

const RUNS = 10_000;
const SEED = 14;
const SCALING = readFileSync(join(__dirname, '../../../docs/studies/lattice-scaling.yaml'), 'utf8');

function acceptsOrNames(f: () => unknown): void {
  try {
    f();
  } catch (err) {
    if (!(err instanceof StudyError)) throw err;
    expect(err.message).toMatch(/^\S.*: \S.*, got \S/);
  }
}

const PIECES = ['name: s\n', 'axes:\n', '  size: ', '  task: ', '  seed: ', 'range(', 'choice(', ')', ', ', '1', '4', '-1', '1e17', '0.5', 'xor', 'points:\n', '  - ', '{', '}', '[', ']', ':', '&a ', '*a', '.nan', '.inf', '"', '\n', 'metrics: ', 'base: ', '__proto__', 'tasks:\n'];
const value = fc.oneof(
  { depthSize: 'small' },
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom(Number.NaN, Infinity, -Infinity, 'range(1e17, 100000000000001000, 1)', 'range(0, 1, 1e-320)', 'range(5, 0, -1)', 'choice()', 'a,,b', ''),
);

describe('study files', () => {
  it(`parseStudyText: ${RUNS} texts near a study file, YAML and JSON`, () => {
    const lines = SCALING.split('\n');
    const mutated = fc
      .tuple(fc.integer({ min: 0, max: lines.length - 1 }), fc.array(fc.oneof(fc.constantFrom(...PIECES), fc.string({ maxLength: 5 })), { maxLength: 6 }))
      .map(([i, parts]) => [...lines.slice(0, i), parts.join(''), ...lines.slice(i + 1)].join('\n'));
    const junk = fc.array(fc.oneof(fc.constantFrom(...PIECES), fc.string({ maxLength: 5 })), { maxLength: 20 }).map((p) => p.join(''));
    fc.assert(
      fc.property(fc.oneof(mutated, junk), fc.boolean(), (text, yaml) => acceptsOrNames(() => parseStudyText(text, yaml ? 's.yaml' : 's.json'))),
      { numRuns: RUNS, seed: SEED },
    );
  });

  it(`parseStudy: ${RUNS} study objects with any values`, () => {
    const study = fc.record(
      {
        name: fc.oneof(fc.constant('s'), value),
        description: value,
        base: value,
        tasks: fc.oneof(value, fc.dictionary(fc.string({ maxLength: 4 }), value, { maxKeys: 3 })),
        axes: fc.oneof(value, fc.dictionary(fc.constantFrom('task', 'size', 'seed', 'clamp.eta', 'roles.x', 'a..b', 'topology'), value, { maxKeys: 4 })),
        points: fc.oneof(value, fc.array(fc.dictionary(fc.constantFrom('size', 'seed', 'x y'), value, { maxKeys: 2 }), { maxLength: 3 })),
        metrics: fc.oneof(value, fc.record({ targetFall: value, targetMse_V2: value, opAmpPowerPerEdge_W: value }, { requiredKeys: [] })),
      },
      { requiredKeys: ['name'] },
    );
    fc.assert(
      fc.property(study, (s) => acceptsOrNames(() => parseStudy(s))),
      { numRuns: RUNS, seed: SEED },
    );
  });

  it('holds a study file to the YAML alias and nesting limits of an experiment file', () => {
    const laughs = ['name: s', 'a: &a [x, x, x, x, x, x, x, x, x, x]', ...['b', 'c', 'd', 'e'].map((k, i) => `${k}: &${k} [${Array(10).fill(`*${'abcd'[i]}`).join(', ')}]`)].join('\n');
    expect(() => parseStudyText(laughs, 's.yaml')).toThrow(StudyError);
    expect(() => parseStudyText(laughs, 's.yaml')).toThrow(`s.yaml: must be valid YAML, got more alias expansions than the ${YAML_MAX_ALIASES} YAML_MAX_ALIASES`);
    expect(() => parseStudyText(`name: s\naxes: { size: ${'['.repeat(70)}4${']'.repeat(70)} }`, 's.yaml')).toThrow(/^s\.yaml: must be valid YAML, got objects or arrays nested more than 64 deep/);
    expect(() => parseStudyText('name: s\naxes: { size: 4, seed: hunter2: x }', 's.yaml')).toThrow(/^s\.yaml: must be valid YAML, got a syntax error at line 2, column \d+ \([A-Z_]+\)$/);
    expect(parseStudyText(SCALING, 'lattice-scaling.yaml').axes.map((a) => a.name)).toEqual(['task', 'topology', 'size', 'seed']);
  });
});
