/**
 * Study files: Hydra's sweep syntax, the cartesian product or listed points, one resolved
 * experiment per job with an id that hashes what runs, and every mistake refused before
 * anything is queued, naming the field (and the point, when a value makes an invalid experiment).
 */
import { outputNodes } from '@metatwin/contracts';
import { expandStudy, fromJsonLines, parseStudy, sweepValues, toCsv, toJsonLines, type StudyRow } from './index';

const ctx = { readText: (): string => '' };
const small = {
  name: 'scaling',
  base: { schedule: { steps: 100 } },
  axes: { task: 'xor, regression', topology: ['lattice', 'random-regular'], size: '4, 8', seed: 'range(1, 4)' },
};

describe('a study file', () => {
  it('reads the sweep syntax: lists, comma lists, choice(), range() with stop excluded', () => {
    expect(sweepValues([1, 'a', true], 'x')).toEqual([1, 'a', true]);
    expect(sweepValues('4, 8,16', 'x')).toEqual([4, 8, 16]);
    expect(sweepValues('choice(0.25, "0.5", lattice)', 'x')).toEqual([0.25, '0.5', 'lattice']);
    expect(sweepValues('range(1, 4)', 'x')).toEqual([1, 2, 3]);
    expect(sweepValues('range(0, 1, 0.25)', 'x')).toEqual([0, 0.25, 0.5, 0.75]);
    expect(sweepValues('range(3)', 'x')).toEqual([0, 1, 2]);
    expect(sweepValues(7, 'x')).toEqual([7]);
  });

  it('expands the product into jobs, each a resolved experiment with a stable id', () => {
    const expanded = expandStudy(parseStudy(small), ctx);
    expect(expanded.jobs).toHaveLength(2 * 2 * 2 * 3);
    expect(expandStudy(parseStudy(small), ctx).id).toBe(expanded.id);
    expect(expanded.id).toMatch(/^scaling-[0-9a-f]{8}$/);
    const job = expanded.jobs.find((j) => j.task === 'xor' && j.topology === 'lattice' && j.size === 4 && j.params.seed === 2);
    if (!job) throw new Error('no such job');
    // The paper's own lattice keeps the preset's placement; another network gets placed roles.
    expect(job.experiment.roles.inputs).toEqual([0, 2]);
    expect(job.experiment.seed).toBe(2);
    expect(job.experiment.schedule.steps).toBe(100);
    const big = expanded.jobs.find((j) => j.task === 'xor' && j.topology === 'random-regular' && j.size === 8 && j.params.seed === 1);
    expect(big?.experiment.network).toMatchObject({ kind: 'edges', nodes: 64 });
    expect(big?.experiment.initialGates_V).toHaveLength(128);
    expect(outputNodes(big!.experiment)).toHaveLength(2);
    // Dotted fields sweep too; the same experiment always hashes the same.
    const eta = expandStudy(parseStudy({ name: 'eta', axes: { task: 'xor', 'clamp.eta': 'choice(0.25, 0.5)' } }), ctx);
    expect(eta.jobs.map((j) => j.experiment.clamp)).toEqual([
      { kind: 'differential', eta: 0.25 },
      { kind: 'differential', eta: 0.5 },
    ]);
    expect(new Set(expanded.jobs.map((j) => j.id)).size).toBe(expanded.jobs.length);
  });

  it('runs only listed points when it lists them', () => {
    const listed = expandStudy(parseStudy({ name: 'listed', base: { preset: 'regression' }, points: [{ seed: 1 }, { seed: 5, 'clamp.eta': 0.5 }] }), ctx);
    expect(listed.jobs.map((j) => [j.experiment.seed, j.experiment.clamp])).toEqual([
      [1, { kind: 'coupled', eta: 1 }],
      [5, { kind: 'coupled', eta: 0.5 }],
    ]);
  });

  it.each([
    [{ ...small, name: 'a b' }, /^name: must be 1–64 letters/],
    [{ ...small, colour: 1 }, /^\.colour: is not a known field/],
    [{ name: 'x' }, /^axes: give axes \(their product is swept\) or points/],
    [{ ...small, axes: { ...small.axes, seed: 'range(1, 4, 0)' } }, /^axes\.seed: range\(\) must step toward stop/],
    [
      { ...small, axes: { ...small.axes, topology: 'torus' } },
      /^point \{task: xor, topology: torus, size: 4, seed: 1\}\.topology: must be one of lattice, open-lattice, small-world, random-regular/,
    ],
    [{ ...small, axes: { ...small.axes, task: 'xor, sudoku' } }, /point \{task: sudoku.*\}\.task: must be a preset/],
    [
      { ...small, axes: { ...small.axes, 'clamp.eta': 1.5 } },
      /^point \{task: xor, topology: lattice, size: 4, seed: 1, clamp\.eta: 1\.5\}: clamp\.eta: must be in \(0, 1\], got 1\.5/,
    ],
    [{ ...small, axes: { ...small.axes, 'roles.inputs': 3 } }, /^axes\.roles\.inputs: cannot be swept/],
    [{ ...small, axes: { ...small.axes, size: 1 } }, /\.size: must be an integer ≥ 2/],
    [{ ...small, metrics: { targetFall: 1 } }, /^metrics\.targetFall: must be a number > 1, got 1/],
    [{ ...small, metrics: { targetFall: 10, targetMse_V2: 1e-4 } }, /^metrics: give targetMse_V2 or targetFall, not both/],
    [{ name: 'twice', base: { preset: 'xor' }, points: [{ seed: 1 }, { seed: 1 }] }, /makes the same experiment as another point/],
  ])('refuses %j naming the field, before any job exists', (input, message) => {
    expect(() => expandStudy(parseStudy(input), ctx)).toThrow(message);
  });
});

describe('a results table', () => {
  const row = (job: string, seed: number, extra: Partial<StudyRow> = {}): StudyRow => ({
    study: 's-1',
    job,
    params: { size: 4, seed, note: 'a, "b"' },
    topology: 'lattice',
    task: 'xor',
    seed,
    nodes: 16,
    edges: 32,
    status: 'done',
    metrics: {
      steps: 10,
      learning_s: 0.001,
      targetMse_V2: 1e-4,
      stepsToTarget: null,
      timeToTarget_s: null,
      mseStart_V2: 1e-3,
      mseEnd_V2: 5e-4,
      modeHalfTimes_s: { E00: 0.001, E11: null },
      learningEnergy_J: 1e-6,
      opAmpEnergy_J: null,
      inferencePowerPerEdge_W: 3e-5,
      inferenceEnergyPerEdge_J: 6e-11,
    },
    worker: 'host/1',
    wall_s: 0.5,
    version: '0.1.0',
    commit: 'abc1234',
    finishedAt: '2026-12-06T07:00:00.000Z',
    ...extra,
  });

  it('keeps the first row of a job written twice, and flattens rows into CSV with quoting', () => {
    const text = toJsonLines([row('a', 1), row('b', 2), row('a', 1, { worker: 'other/2' })]);
    const rows = fromJsonLines(text, 'results.jsonl');
    expect(rows.map((r) => [r.job, r.worker])).toEqual([
      ['a', 'host/1'],
      ['b', 'host/1'],
    ]);
    const csv = toCsv(rows).split('\r\n');
    expect(csv[0]).toContain('params.size,params.seed,params.note');
    expect(csv[0]).toContain('modeHalfTime_s.E00,modeHalfTime_s.E11');
    expect(csv[1]).toContain('"a, ""b"""');
    expect(csv[1]).toContain(',0.001,,'); // E00 half-time, then E11 never: empty
    expect(() => fromJsonLines('{"x":1}\n', 'results.jsonl')).toThrow('results.jsonl line 1: not a study row');
  });
});
