import { mergeExperimentInput, parseExperiment } from './parse';
import { planFromInput, presetInput } from './load';
import { regressionFamilyTasks, xorPreset } from './presets';
import { testSteps } from '@metatwin/supervisor';
import { ExperimentError } from './validate';
import { isConnected, latticeEdges, placeRoles } from './topologies';
import { squareLattice } from '@metatwin/physics';
import { labelsOf, outputCount, outputNodes, trainingPointCount } from '@metatwin/contracts';
import { patchMap } from '@metatwin/supervisor';

const ctx = {
  readText: (p: string): string => {
    if (p === 'net.json')
      return JSON.stringify({
        nodes: 4,
        edges: [
          [0, 1],
          [1, 2],
          [2, 3],
          [3, 0],
        ],
      });
    if (p === 'data.csv') return 'v1,label\n0,0.1\n0.2,0.2\n# comment\n0.4,0.3\n';
    if (p === 'bad.csv') return 'v1,label\n0,0.1,9\n';
    if (p === 'three.csv') return 'v1,v2,l1,l2,l3\n0,0.45,0.05,-0.05,-0.05\n0.45,0,-0.05,0.05,-0.05\n';
    throw Object.assign(new Error('no such file'), { code: 'ENOENT' });
  },
};

const withChange = (change: Record<string, unknown>): unknown => mergeExperimentInput(xorPreset(), change);

describe('experiment files', () => {
  it('resolves the xor preset with every default filled in', () => {
    const e = parseExperiment(xorPreset(), ctx);
    expect(e.schedule.steps).toBe(100_000);
    expect(e.schedule.t_h_s).toBe(1e-4);
    expect(e.initialGates_V).toHaveLength(32);
    expect(e.quantisation).toEqual({ dac: true, adc: true, adcRepeats: 1 });
    expect(e.learning.gMin_V).toBe(1.1);
    expect(e.learning.floor).toBeUndefined();
    expect(parseExperiment(withChange({ learning: { floor: 'diode' } }), ctx).learning.floor).toBe('diode');
    expect(e.clamp).toEqual({ kind: 'differential', eta: 0.5 });
    expect(e.schedule.snapshotEvery).toBe(1000);
    expect(e.report).toBeUndefined();
    expect(e.learning.stages).toBeUndefined();
  });

  it('reads the learning circuit as stages (V0 then follows from them) and learn-enable jitter', () => {
    const paper = parseExperiment(withChange({ learning: { stages: 'paper', enableJitterRel: 0.1 } }), ctx).learning;
    expect(paper.stages).toEqual({ gain: 5.5, multiplierScale_V: 10, gainSigmaRel: 0, inputOffsetSigma_V: 0, scaleSigmaRel: 0, outputOffsetSigma_V: 0 });
    expect(paper.v0_V).toBeCloseTo(10 / 5.5 ** 2, 12);
    expect(paper.enableJitterRel).toBe(0.1);
    const spread = parseExperiment(withChange({ learning: { stages: { outputOffsetSigma_V: 5e-3, gain: 5 } } }), ctx).learning;
    expect(spread.stages?.outputOffsetSigma_V).toBe(5e-3);
    expect(spread.v0_V).toBeCloseTo(0.4, 12);
  });

  it('reads report settings: snapshot times within the run and the op-amp power per edge', () => {
    const e = parseExperiment(withChange({ schedule: { time_s: 10 }, report: { snapshots_s: [0, 0.5, 2, 10], opAmpPowerPerEdge_W: 0.1 } }), ctx);
    expect(e.report).toEqual({ snapshots_s: [0, 0.5, 2, 10], opAmpPowerPerEdge_W: 0.1 });
  });

  it.each([
    [{ clamp: { kind: 'coupled', eta: 0.5 } }, /clamp\.kind: needs a single output/],
    [{ clamp: { kind: 'differential', eta: 1.5 } }, /clamp\.eta: must be in \(0, 1\], got 1\.5/],
    [{ clamp: { kind: 'magic' } }, /clamp\.kind: must be one of "coupled"/],
    [{ roles: { inputs: [0, 0] } }, /roles\.inputs\[1\]: must be a node not already used \(roles\.inputs\[0\] uses it\), got 0/],
    [{ roles: { inputs: [0, 16] } }, /roles\.inputs\[1\]: must be an integer in 0\.\.15, got 16/],
    [{ roles: { rails: [{ node: 3, volts: 0.6 }] } }, /roles\.rails\[0\]\.volts: must be within the DAC range 0\.\.0\.45 V, got 0\.6/],
    [{ dataset: { inputs: [[0, 0.5]], labels: [0] } }, /dataset\.inputs\[0\]\[1\]: must be within the DAC range/],
    [{ dataset: { inputs: [[0, 0.1]], labels: [0, 1] } }, /dataset\.labels: must hold 1 labels/],
    [{ dataset: { inputs: [[0]], labels: [0] } }, /dataset\.inputs\[0\]: must hold 2 voltages/],
    [{ schedule: { steps: 10, time_s: 1 } }, /schedule: must give steps or time_s, not both/],
    [{ schedule: { time_s: 1, stepz: 1 } }, /schedule\.stepz: is not a known field/],
    [{ schedule: { time_s: -1 } }, /schedule\.time_s: must be a positive learning time/],
    [{ schedule: { time_s: 1, snapshotEvery: 0 } }, /schedule\.snapshotEvery: must be an integer in 1\.\.1000000000, got 0/],
    [{ seed: 1.5 }, /seed: must be an integer/],
    [{ initialGates_V: [1, 2] }, /initialGates_V: must be one number or 32 numbers/],
    [{ initialGates_V: 0.5 }, /initialGates_V: must lie within the gate range 1\.1\.\.10 V, got 0\.5/],
    [{ learning: { floor: 'soft' } }, /learning\.floor: must be clip \(a hard bound at gMin_V\) or diode/],
    [{ learning: { offPerStep_s: -1 } }, /learning\.offPerStep_s: must be a time in 0\.\.1 s/],
    [{ learning: { stages: 'ideal' } }, /learning\.stages: must be an object/],
    [{ learning: { stages: { outputOffsetSigma_V: -1 } } }, /learning\.stages\.outputOffsetSigma_V: must be a σ in 0\.\.1, got -1/],
    [{ learning: { stages: { gian: 5 } } }, /learning\.stages\.gian: is not a known field/],
    [{ learning: { stages: 'paper', v0_V: 0.33 } }, /learning: .*v0_V \(0\.33 V\) must equal the stages' V⊗\/gain²/],
    [{ learning: { enableJitterRel: 1.5 } }, /learning\.enableJitterRel: must be a relative σ in 0\.\.1, got 1\.5/],
    [{ report: { snapshots_s: [1, 0.5] } }, /report\.snapshots_s\[1\]: must be later than the time before it \(1 s\), got 0\.5/],
    [{ report: { snapshots_s: [20] } }, /report\.snapshots_s\[0\]: must be a learning time in 0\.\.10 s \(the run's end\), got 20/],
    [{ report: { snapshots_s: [] } }, /report\.snapshots_s: must list 1 to 8 learning times/],
    [{ report: { opAmpPowerPerEdge_W: 0 } }, /report\.opAmpPowerPerEdge_W: must be a power per edge in \(0, 100\) W, got 0/],
    [{ report: { colour: 1 } }, /report\.colour: is not a known field/],
    [{ transistor: { card: 'ald1107' } }, /transistor\.card: must be one of "default", "ald1106-fitted"/],
    [{ imperfections: { damage: [{ edge: 32, kind: 'open', at_s: 1 }] } }, /imperfections\.damage\[0\]\.edge: must be an integer in 0\.\.31, got 32/],
    [{ learning: { gMin_V: 6, gMax_V: 5 } }, /learning: .*gMin_V \(6\) must be below/],
    [{ network: { file: 'missing.json' } }, /network\.file: must be a readable file \(ENOENT\)/],
    [{ network: { nodes: 3, edges: [[0, 3]] } }, /network\.edges\[0\]\[1\]: must be an integer in 0\.\.2, got 3/],
    [{ colour: 'red' }, /\.colour: is not a known field/],
  ])('rejects %j naming the field, value and what is allowed', (change, message) => {
    const run = (): unknown => parseExperiment(withChange(change), ctx);
    expect(run).toThrow(ExperimentError);
    expect(run).toThrow(message);
  });

  it('loads edge-list networks and CSV datasets from files', () => {
    const e = parseExperiment(
      {
        name: 'ring',
        network: { file: 'net.json' },
        roles: { inputs: [0], rails: [{ node: 2, volts: 0 }], output: { node: 1 } },
        dataset: { csv: 'data.csv' },
        clamp: { kind: 'coupled', eta: 1 },
      },
      ctx,
    );
    expect(e.network).toEqual({
      kind: 'edges',
      nodes: 4,
      edges: [
        [0, 1],
        [1, 2],
        [2, 3],
        [3, 0],
      ],
    });
    expect(e.dataset).toEqual({ inputs: [[0], [0.2], [0.4]], labels: [0.1, 0.2, 0.3] });
    expect(() => parseExperiment({ ...(e as object), network: { file: 'net.json' }, dataset: { csv: 'bad.csv' } }, ctx)).toThrow(
      /dataset\.csv\(bad\.csv\) line 2: must hold 1 input voltage\(s\) and a label/,
    );
  });

  it('lets a file start from a preset and override fields, and flags override last', () => {
    const plan = planFromInput({ preset: 'xor', schedule: { time_s: 2 }, clamp: { eta: 0.3 } }, { seed: 7 }, ctx);
    expect(plan.kind).toBe('run');
    if (plan.kind !== 'run') return;
    expect(plan.experiment.schedule.steps).toBe(20_000);
    expect(plan.experiment.clamp).toEqual({ kind: 'differential', eta: 0.3 });
    expect(plan.experiment.seed).toBe(7);
    const steps = planFromInput(presetInput('xor'), { steps: 500 }, ctx);
    expect(steps.kind === 'run' && steps.experiment.schedule.steps).toBe(500);
  });

  it('generates seeded topologies: random regular, small world, hierarchical — connected, simple, the same for the same seed', () => {
    const net = (network: unknown, seed = 1) =>
      parseExperiment(withChange({ network, seed }), ctx).network as { kind: string; nodes: number; edges: ReadonlyArray<readonly [number, number]> };
    const degrees = (n: { nodes: number; edges: ReadonlyArray<readonly [number, number]> }) => {
      const d = new Array<number>(n.nodes).fill(0);
      for (const [a, b] of n.edges) (d[a]++, d[b]++);
      return d;
    };
    const simple = (n: { edges: ReadonlyArray<readonly [number, number]> }) =>
      new Set(n.edges.map(([a, b]) => `${Math.min(a, b)}-${Math.max(a, b)}`)).size === n.edges.length && n.edges.every(([a, b]) => a !== b);
    const regular = net({ 'random-regular': { nodes: 100, degree: 3 } });
    expect(regular).toMatchObject({ kind: 'edges', nodes: 100 });
    expect(regular.edges).toHaveLength(150);
    expect(new Set(degrees(regular))).toEqual(new Set([3]));
    expect(simple(regular) && isConnected(100, regular.edges)).toBe(true);
    expect(net({ 'random-regular': { nodes: 100, degree: 3 } })).toEqual(regular); // the experiment's seed
    expect(net({ 'random-regular': { nodes: 100, degree: 3 } }, 2)).not.toEqual(regular);
    expect(net({ 'random-regular': { nodes: 100, degree: 3, seed: 2 } })).toEqual(net({ 'random-regular': { nodes: 100, degree: 3 } }, 2));
    const world = net({ 'small-world': { rows: 10, cols: 10, shortcuts: 20 } });
    expect(world.edges).toHaveLength(220);
    expect(simple(world) && isConnected(100, world.edges)).toBe(true);
    const modules = net({ hierarchical: { modules: 4, side: 3, links: 2 } });
    expect(modules).toMatchObject({ nodes: 36 });
    expect(modules.edges).toHaveLength(4 * 18 + 4 * 2);
    expect(simple(modules) && isConnected(36, modules.edges)).toBe(true);
    // A resolved experiment (RunCreated's) parses to itself.
    const exp = parseExperiment(withChange({ network: { 'small-world': { rows: 4, cols: 4, shortcuts: 5 } } }), ctx);
    expect(parseExperiment(JSON.parse(JSON.stringify(exp)), ctx).network).toEqual(exp.network);
    // Bad parameters are named.
    expect(() => net({ 'random-regular': { nodes: 15, degree: 3 } })).toThrow(/network\.random-regular.*nodes × degree must be even/);
    expect(() => net({ 'small-world': { rows: 4, cols: 4, shortcuts: 1000 } })).toThrow(/network\.small-world.*at most 88 shortcuts/);
    expect(() => net({ hierarchical: { modules: 1, side: 3, links: 2 } })).toThrow(/network\.hierarchical\.modules/);
    expect(() => net({ 'random-regular': { nodes: 16, degree: 3, shape: 'x' } })).toThrow(/network\.random-regular.*shape/);
  });

  it('places roles the same from an edge list or from a network’s typed arrays (what a million-node bench passes)', () => {
    const placement = { inputs: 2, rails: [0.11, 0.4], output: 'differential' as const };
    for (const [rows, cols, periodic] of [
      [30, 30, false],
      [17, 23, true],
    ] as const) {
      expect(placeRoles(rows * cols, squareLattice(rows, cols, periodic), placement)).toEqual(placeRoles(rows * cols, latticeEdges(rows, cols, periodic), placement));
    }
  });

  it('places roles on a large network: spread out by hop distance, outputs farthest from the held nodes, written out as explicit nodes', () => {
    const exp = parseExperiment(
      withChange({ network: { lattice: { rows: 30, cols: 30, periodic: false } }, roles: { place: { inputs: 2, rails: [0.11, 0.4], output: 'differential' } } }),
      ctx,
    );
    const at = (n: number) => [Math.floor(n / 30), n % 30];
    const hops = (a: number, b: number) => Math.abs(at(a)[0] - at(b)[0]) + Math.abs(at(a)[1] - at(b)[1]);
    const placed = [...exp.roles.inputs, ...exp.roles.rails.map((r) => r.node), (exp.roles.output as { plus: number }).plus, (exp.roles.output as { minus: number }).minus];
    expect(new Set(placed).size).toBe(6);
    expect(exp.roles.rails.map((r) => r.volts)).toEqual([0.11, 0.4]);
    // Farthest-point sampling on a 30×30 grid: six nodes at least 14 hops apart (corners and edge midpoints).
    for (let i = 0; i < placed.length; i++) for (let j = 0; j < i; j++) expect(hops(placed[i], placed[j])).toBeGreaterThanOrEqual(14);
    // The resolved roles parse to themselves; a bad placement is named.
    expect(parseExperiment(JSON.parse(JSON.stringify(exp)), ctx).roles).toEqual(exp.roles);
    expect(() => parseExperiment(withChange({ roles: { place: { inputs: 2, rails: [0.11, 0.9], output: 'single' } } }), ctx)).toThrow(/roles\.place\.rails\[1\].*DAC range/);
    expect(() =>
      parseExperiment(
        withChange({
          network: {
            nodes: 3,
            edges: [
              [0, 1],
              [1, 2],
            ],
          },
          roles: { place: { inputs: 2, rails: [0.1], output: 'differential' } },
        }),
        ctx,
      ),
    ).toThrow(/roles\.place.*5 roles do not fit 3 nodes/);
  });

  it('loads a chip inline or from a chip file, and names the field of a bad one', () => {
    const chip = { format: 'metatwin-chip/1', edges: 32, free: { vto_V: Array(32).fill(0.71), k_AperV2: Array(32).fill(4.4e-4) }, clamped: null, learningOffsets_V2: null };
    const inline = parseExperiment(withChange({ imperfections: { chip } }), ctx);
    expect(inline.imperfections.chip?.free.vto_V[5]).toBe(0.71);
    const fromFile = parseExperiment(withChange({ imperfections: { chip: 'chip.json' } }), { readText: (p) => (p === 'chip.json' ? JSON.stringify(chip) : ctx.readText(p)) });
    expect(fromFile.imperfections.chip).toEqual(inline.imperfections.chip);
    expect(() => parseExperiment(withChange({ imperfections: { chip: { ...chip, edges: 24 } } }), ctx)).toThrow(/imperfections\.chip\.edges.*must be 32/);
    expect(() => parseExperiment(withChange({ imperfections: { chip: { ...chip, free: { ...chip.free, k_AperV2: [...chip.free.k_AperV2.slice(1), -1] } } } }), ctx)).toThrow(
      /imperfections\.chip\.free\.k_AperV2\[31\].*must be in \(0, 1\) A\/V²/,
    );
    expect(() => parseExperiment(withChange({ imperfections: { chip: 'missing.json' } }), ctx)).toThrow(/imperfections\.chip.*must be a readable file \(ENOENT\)/);
  });

  it('builds the 29 regression tasks of Fig. 5 within the paper ranges', () => {
    const tasks = regressionFamilyTasks();
    expect(tasks).toHaveLength(29);
    expect(new Set(tasks.map((t) => JSON.stringify(t))).size).toBe(29);
    for (const t of tasks) {
      expect(t.c_V).toBeGreaterThan(t.a_V);
      expect(t.a_V).toBeGreaterThanOrEqual(0.07);
      expect(t.a_V).toBeLessThanOrEqual(0.24);
      expect([0.12, 0.31]).toContain(t.b_V);
    }
    const plan = planFromInput(presetInput('regression-family'), {}, ctx);
    expect(plan.kind === 'family' && plan.experiments.length).toBe(29);
  });

  it('tests at 0, on a 1-2-5 grid early, every testEvery steps and at the end', () => {
    expect(testSteps({ t_h_s: 1e-4, steps: 3500, order: 'random', testEvery: 1000, substeps: 1 })).toEqual([0, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 3000, 3500]);
  });
});

describe('multi-output tasks (classification by differential outputs)', () => {
  const three = [
    { plus: 1, minus: 13 },
    { plus: 5, minus: 9 },
    { plus: 6, minus: 10 },
  ];
  const classify = (change: Record<string, unknown> = {}): unknown =>
    withChange({
      roles: { inputs: [0, 2], rails: [{ node: 3, volts: 0.11 }], output: three },
      dataset: {
        inputs: [
          [0, 0.45],
          [0.45, 0],
        ],
        labels: [
          [0.05, -0.05, -0.05],
          [-0.05, 0.05, -0.05],
        ],
      },
      ...change,
    });

  it('lists the outputs in label order, keeps labels datapoint-major, and wires one label line per output', () => {
    const e = parseExperiment(classify(), ctx);
    expect(outputCount(e)).toBe(3);
    expect(outputNodes(e)).toEqual([1, 13, 5, 9, 6, 10]);
    expect(e.dataset.labels).toEqual([0.05, -0.05, -0.05, -0.05, 0.05, -0.05]);
    expect(labelsOf(e, 1)).toEqual([-0.05, 0.05, -0.05]);
    expect(patchMap(e).slice(-3)).toEqual([0, 1, 2].map((output) => ({ kind: 'label', output, differential: true })));
    // A CSV holds one label column per output; the resolved form parses to itself.
    const csv = parseExperiment(mergeExperimentInput(classify(), { dataset: { csv: 'three.csv' } }), ctx);
    expect(csv.dataset).toEqual(e.dataset);
    expect(parseExperiment(JSON.parse(JSON.stringify(e)), ctx)).toEqual(e);
  });

  it('holds datapoints out of training, names classes, and places several outputs', () => {
    const e = parseExperiment(classify({ dataset: { ...(classify() as { dataset: object }).dataset, trainingPoints: 1, classNames: ['a', 'b', 'c'] } }), ctx);
    expect(e.dataset.trainingPoints).toBe(1);
    expect(trainingPointCount(e.dataset)).toBe(1);
    expect(e.dataset.classNames).toEqual(['a', 'b', 'c']);
    const placed = parseExperiment(
      withChange({
        network: { lattice: { rows: 8, cols: 8, periodic: true } },
        roles: { place: { inputs: 2, rails: [0.11], output: 'differential', outputs: 3 } },
        dataset: (classify() as { dataset: object }).dataset,
      }),
      ctx,
    );
    expect(outputCount(placed)).toBe(3);
    expect(new Set([...placed.roles.inputs, ...placed.roles.rails.map((r) => r.node), ...outputNodes(placed)]).size).toBe(9);
  });

  it('builds Iris: 150 flowers scaled onto the DAC range, one ±50 mV label per species, 40 of each trained on and 10 held out', () => {
    const plan = planFromInput(presetInput('iris'), {}, ctx);
    if (plan.kind !== 'run') throw new Error('not a run');
    const e = plan.experiment;
    expect(e.dataset.inputs).toHaveLength(150);
    expect(e.dataset.labels).toHaveLength(450);
    expect(e.dataset.trainingPoints).toBe(120);
    expect(e.dataset.classNames).toEqual(['setosa', 'versicolor', 'virginica']);
    for (let f = 0; f < 4; f++) {
      const column = e.dataset.inputs.map((row) => row[f]);
      expect(Math.min(...column)).toBe(0);
      expect(Math.max(...column)).toBeCloseTo(0.45, 6);
    }
    const classOf = (d: number): number => labelsOf(e, d).indexOf(0.05);
    for (let d = 0; d < 150; d++) expect(labelsOf(e, d).filter((l) => l === 0.05)).toHaveLength(1);
    // Interleaved by species, so both sets hold each species in equal numbers.
    const count = (from: number, to: number, c: number): number => Array.from({ length: to - from }, (_, i) => classOf(from + i)).filter((x) => x === c).length;
    for (const c of [0, 1, 2]) {
      expect(count(0, 120, c)).toBe(40);
      expect(count(120, 150, c)).toBe(10);
    }
    expect(parseExperiment(JSON.parse(JSON.stringify(e)), ctx)).toEqual(e);
  });

  it.each([
    [{ roles: { inputs: [0, 2], output: [{ plus: 1, minus: 13 }, { node: 5 }] } }, /roles\.output\[1\]: must be a \(\+, −\) pair \{plus, minus\} like roles\.output\[0\]/],
    [
      {
        roles: {
          inputs: [0, 2],
          output: [
            { plus: 1, minus: 13 },
            { plus: 13, minus: 5 },
          ],
        },
      },
      /roles\.output\[1\]\.plus: must be a node not already used \(roles\.output\[0\]\.minus uses it\)/,
    ],
    [{ dataset: { inputs: [[0, 0.45]], labels: [[0.05, -0.05]] } }, /dataset\.labels\[0\]: must hold 3 labels \(one per output\)/],
    [{ dataset: { inputs: [[0, 0.45]], labels: [0.05] } }, /dataset\.labels\[0\]: must hold 3 labels \(one per output\), got 0\.05/],
    [{ dataset: { inputs: [[0, 0.45]], labels: [0.05, 0] } }, /dataset\.labels: must hold 1 labels \(one per datapoint\), each a list of 3/],
    [{ dataset: { inputs: [[0, 0.45]], labels: [[0.05, -0.05, 0.3]] } }, /dataset\.labels\[0\]\[2\]: must be within the differential label line's range/],
    [{ dataset: { inputs: [[0, 0.45]], labels: [[0.05, -0.05, 0]], trainingPoints: 2 } }, /dataset\.trainingPoints: must be an integer in 1\.\.1, got 2/],
    [
      { dataset: { inputs: [[0, 0.45]], labels: [[0.05, -0.05, 0]], classNames: ['a', 'b'] } },
      /dataset\.classNames: must name each output of a multi-output task \(3 outputs here\)/,
    ],
    [{ dataset: { csv: 'data.csv' } }, /dataset\.csv\(data\.csv\) line 2: must hold 2 input voltage\(s\) and 3 labels \(one per output\)/],
    [{ dataset: { piecewiseLinear: { a_V: 0.1, b_V: 0.2, c_V: 0.3 } } }, /dataset\.piecewiseLinear: needs exactly one input node/],
    [{ dataset: { iris: {} } }, /dataset\.iris: needs 4 input nodes/],
    [{ clamp: { kind: 'coupled', eta: 0.5 } }, /clamp\.kind: needs a single output/],
  ])('rejects %j naming the field', (change, message) => {
    const run = (): unknown => parseExperiment(classify(change), ctx);
    expect(run).toThrow(ExperimentError);
    expect(run).toThrow(message);
  });
});

describe('a resolved experiment (as RunCreated carries it) parses to itself', () => {
  const noFiles = {
    readText: (): string => {
      throw new Error('no files');
    },
  };
  it.each([
    ['xor', { preset: 'xor' }],
    [
      'regression with every imperfection and a rig',
      {
        preset: 'regression',
        rig: { measurement: 'mirror' },
        imperfections: {
          mismatch: { vtoSigma_V: 0.01, kpRelSigma: 0.005 },
          learningOffsetSigma_V2: 1e-4,
          readoutNoiseSigma_V: 0.002,
          damage: [{ edge: 1, kind: 'open', at_s: 0.1 }],
        },
      },
    ],
    [
      'an edge list',
      {
        preset: 'regression',
        network: {
          nodes: 4,
          edges: [
            [0, 1],
            [1, 2],
            [2, 3],
            [3, 0],
            [0, 2],
          ],
        },
        initialGates_V: 3,
      },
    ],
  ])('%s', (_name, input) => {
    const plan = planFromInput(input, {}, noFiles);
    if (plan.kind !== 'run') throw new Error('not a run');
    const wire = JSON.parse(JSON.stringify(plan.experiment));
    expect(parseExperiment(wire, noFiles)).toEqual(plan.experiment);
  });

  it('names an unknown resolved network kind', () => {
    const plan = planFromInput({ preset: 'xor' }, {}, noFiles);
    if (plan.kind !== 'run') throw new Error('not a run');
    expect(() => parseExperiment({ ...plan.experiment, network: { kind: 'torus', rows: 4 } }, noFiles)).toThrow(/^network\.kind: must be "lattice" or "edges"/);
  });
});
