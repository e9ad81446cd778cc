/** The same experiment and seed give bit-identical result.json numbers (apart from wall time). */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunResult } from '@metatwin/experiments';
import { runCli } from './cli-run';

const root = join(__dirname, '..', '..');
type Recorded = RunResult & { run?: string; mode?: string };

/** Everything but wall time, the run id (a fresh id names each run) and the mode. */
function withoutWall(r: Recorded): unknown {
  return { ...r, wall_s: 0, run: undefined, mode: undefined };
}

/** The result.json fields whose numbers differ (a readable failure before the bit-for-bit check). */
function differingFields(a: Recorded, b: Recorded): string[] {
  const x = withoutWall(a) as Record<string, unknown>;
  const y = withoutWall(b) as Record<string, unknown>;
  const keys = [...new Set([...Object.keys(x), ...Object.keys(y)])];
  const fields = keys.flatMap((k) => (k === 'final' ? Object.keys({ ...(x.final as object), ...(y.final as object) }).map((f) => `final.${f}`) : [k]));
  const at = (o: Record<string, unknown>, path: string): unknown => path.split('.').reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], o);
  return fields.filter((f) => JSON.stringify(at(x, f)) !== JSON.stringify(at(y, f)));
}

/** An experiment file (a preset plus overrides), as a user writes one for `metatwin run <file>`. */
function experimentFile(input: Record<string, unknown>): string {
  const file = join(mkdtempSync(join(tmpdir(), 'metatwin-exp-')), 'experiment.json');
  writeFileSync(file, JSON.stringify(input));
  return file;
}

/** The run ids a local event-log directory holds (`metatwin runs --log DIR --json`). */
function recordedRuns(logDir: string): string[] {
  if (!existsSync(logDir)) return [];
  const r = spawnSync(process.execPath, [join(root, 'bin', 'metatwin.js'), 'runs', '--log', logDir, '--json'], { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`metatwin runs exited ${r.status}\n${r.stdout}\n${r.stderr}`);
  return (JSON.parse(r.stdout) as Array<{ run: string }>).map((row) => row.run);
}

/** A run through both in-process paths: recording off (`--bus direct`) and on (the default). */
function bothPaths(args: string[]): { direct: Recorded; embedded: Recorded; directOut: string; embeddedOut: string } {
  const d = runCli<Recorded>([...args, '--no-report', '--bus', 'direct']);
  const e = runCli<Recorded>([...args, '--no-report']);
  return { direct: d.result, embedded: e.result, directOut: d.outDir, embeddedOut: e.outDir };
}

/**
 * All four imperfections at once on the XOR preset: 6,000 steps of 100 µs (0.6 s of
 * learning) with edge 5 cut open at 0.5 s, so 1,000 steps learn on the damaged network.
 */
const ALL_FOUR = {
  mismatch: { vtoSigma_V: 0.01, kpRelSigma: 0.005 },
  learningOffsetSigma_V2: 1e-4,
  readoutNoiseSigma_V: 0.002,
  damage: [{ edge: 5, kind: 'open', at_s: 0.5 }],
} as const;
const allFour = (imperfections: Record<string, unknown> = ALL_FOUR, steps = 6000): string => experimentFile({ preset: 'xor', schedule: { steps }, imperfections });

describe('determinism', () => {
  it('repeats a run bit for bit; a different seed differs', () => {
    const a = runCli<RunResult>(['xor', '--steps', '20000', '--seed', '3', '--no-report']).result;
    const b = runCli<RunResult>(['xor', '--steps', '20000', '--seed', '3', '--no-report']).result;
    const c = runCli<RunResult>(['xor', '--steps', '20000', '--seed', '4', '--no-report']).result;
    expect(JSON.stringify(withoutWall(a))).toBe(JSON.stringify(withoutWall(b)));
    expect(JSON.stringify(c.final.gates_V)).not.toBe(JSON.stringify(a.final.gates_V));
  });
});

describe('one contract, two paths: the same four hosts, recording on (in-process) or off (direct)', () => {
  it('gives bit-identical result.json with mismatch, learning offsets, read-out noise and damage all on at once', () => {
    const file = allFour();
    const { direct, embedded, directOut, embeddedOut } = bothPaths([file]);
    expect(embedded.mode).toBe('embedded');
    expect(direct.steps).toBe(6000);
    expect(direct.experiment.imperfections).toEqual(ALL_FOUR);
    expect(differingFields(embedded, direct)).toEqual([]);
    expect(JSON.stringify(withoutWall(embedded))).toBe(JSON.stringify(withoutWall(direct)));
    // The default path recorded the run to the event log; direct recorded nothing.
    expect(recordedRuns(join(embeddedOut, 'log'))).toEqual([embedded.run]);
    expect(recordedRuns(join(directOut, 'log'))).toEqual([]);

    // Each imperfection is really on: turning any one off changes what it touches.
    const off = (key: keyof typeof ALL_FOUR, value: unknown): Recorded => runCli<Recorded>([allFour({ ...ALL_FOUR, [key]: value }), '--no-report', '--bus', 'direct']).result;
    const noMismatch = off('mismatch', null);
    const noOffsets = off('learningOffsetSigma_V2', 0);
    const noNoise = off('readoutNoiseSigma_V', 0);
    const noDamage = off('damage', []);
    expect(noMismatch.final.gates_V).not.toEqual(direct.final.gates_V);
    expect(noOffsets.final.gates_V).not.toEqual(direct.final.gates_V);
    // Read-out noise only changes what the ADC reads, never what the network learns.
    expect(noNoise.final.gates_V).toEqual(direct.final.gates_V);
    expect(noNoise.log.map((e) => e.outputs)).not.toEqual(direct.log.map((e) => e.outputs));
    expect(noDamage.final.conductance_S[5]).toBeGreaterThan(0);
    expect(direct.final.conductance_S[5]).toBe(0);
  });

  it('draws read-out noise from one stream on every path (regressed: direct read −0.03867 V where the services read −0.03516 V)', () => {
    const noisy = experimentFile({ preset: 'xor', schedule: { steps: 300 }, imperfections: { readoutNoiseSigma_V: 0.002 } });
    const { direct, embedded } = bothPaths([noisy]);
    expect(embedded.log.map((e) => e.outputs)).toEqual(direct.log.map((e) => e.outputs));
    expect(embedded.final.outputs).toEqual(direct.final.outputs);
    expect(differingFields(embedded, direct)).toEqual([]);
    expect(JSON.stringify(withoutWall(embedded))).toBe(JSON.stringify(withoutWall(direct)));
    // The noise is there: without it the same run reads other outputs (but learns the same gates).
    const quiet = runCli<Recorded>([experimentFile({ preset: 'xor', schedule: { steps: 300 } }), '--no-report', '--bus', 'direct']).result;
    expect(quiet.final.gates_V).toEqual(direct.final.gates_V);
    expect(quiet.final.outputs).not.toEqual(direct.final.outputs);
    expect(quiet.log.filter((e, i) => JSON.stringify(e.outputs) !== JSON.stringify(direct.log[i].outputs)).length).toBeGreaterThan(direct.log.length / 2);
  });

  it('computes the final figures at the final learning time, so an edge cut open reports 0 S and 0 W (regressed: the run assembler used learning time 0 and reported 3.24 mS)', () => {
    // at_s 0.5 s with 6,000 steps (0.6 s) instead of the original 5 s with 50,000 steps.
    const damage = [{ edge: 5, kind: 'open', at_s: 0.5 }];
    const { direct, embedded } = bothPaths([experimentFile({ preset: 'xor', schedule: { steps: 6000 }, imperfections: { damage } })]);
    for (const r of [direct, embedded]) {
      expect(r.final.conductance_S[5]).toBe(0);
      expect(r.final.powerPerEdge_W[5]).toBe(0);
    }
    expect(differingFields(embedded, direct)).toEqual([]);
    expect(JSON.stringify(withoutWall(embedded))).toBe(JSON.stringify(withoutWall(direct)));
    // Before its time the same damage is not applied: the edge conducts and dissipates.
    const before = runCli<Recorded>([experimentFile({ preset: 'xor', schedule: { steps: 4000 }, imperfections: { damage } }), '--no-report']).result;
    expect(before.final.conductance_S[5]).toBeGreaterThan(1e-4);
    expect(before.final.powerPerEdge_W[5]).toBeGreaterThan(0);
  });

  it('runs a multi-output task (iris: three label lines, nine DAC channels) the same on every path, bit for bit', () => {
    const { direct, embedded } = bothPaths([experimentFile({ preset: 'iris', schedule: { steps: 3000 } })]);
    expect(direct.log[direct.log.length - 1].outputs).toHaveLength(450);
    expect(differingFields(embedded, direct)).toEqual([]);
    expect(JSON.stringify(withoutWall(embedded))).toBe(JSON.stringify(withoutWall(direct)));
  });

  it('says nothing of an event log for a direct run, which records none', () => {
    const d = runCli<Recorded>([allFour({}, 300), '--no-report', '--bus', 'direct']);
    expect(recordedRuns(join(d.outDir, 'log'))).toEqual([]);
    expect(d.stdout).not.toMatch(/in the event log/);
  });
});
