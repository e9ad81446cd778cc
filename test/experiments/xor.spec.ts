/**
 * `metatwin run xor` with its documented defaults and default seed learns XOR (paper
 * Fig. 3): the L0 datapoints end below L0/2 and the others above, MSE falls ≥ 10×, and the
 * error modes fall with E00 first and E11 last. Real runs through the CLI, not stored numbers.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunResult } from '@metatwin/experiments';
import { runCli } from './cli-run';

describe('metatwin run xor', () => {
  const run = runCli<RunResult>(['xor']);
  const r = run.result;
  const L0 = -0.087;

  it('runs the paper’s 10 s of training (100,000 steps of 100 µs)', () => {
    expect(r.steps).toBe(100_000);
    expect(r.log[r.log.length - 1].t_s).toBeCloseTo(10, 9);
    expect(r.seed).toBe(1);
  });

  it('ends with the XOR truth table', () => {
    const out = r.final.outputs;
    r.labels.forEach((label, d) => {
      if (label < L0 / 2) expect(out[d]).toBeLessThan(L0 / 2);
      else expect(out[d]).toBeGreaterThan(L0 / 2);
    });
    expect(r.summary.truthTableCorrect).toBe(true);
  });

  it('cuts MSE at least 10× from its start', () => {
    const first = r.log[0].mse;
    const last = r.log[r.log.length - 1].mse;
    expect(first / last).toBeGreaterThanOrEqual(10);
  });

  it('lowers E00 first and E11 last (first drop below half the initial magnitude)', () => {
    const half = (name: string): number => {
      const initial = Math.abs(r.log[0].modes[name]);
      const hit = r.log.find((e) => Math.abs(e.modes[name]) < initial / 2);
      if (!hit) throw new Error(`${name} never fell below half`);
      return hit.t_s;
    };
    const t = Object.fromEntries(r.modeNames.map((n) => [n, half(n)]));
    expect(r.modeNames).toEqual(['E00', 'E01', 'E10', 'E11']);
    expect(t.E00).toBeLessThanOrEqual(Math.min(t.E01, t.E10));
    expect(t.E11).toBeGreaterThanOrEqual(Math.max(t.E01, t.E10));
    expect(r.summary.modesInOrder).toBe(true);
  });

  it('writes result.json with the documented fields and prints a summary', () => {
    for (const key of ['inputs', 'labels', 'log', 'final', 'steps', 'wall_s', 'seed', 'experiment']) expect(r).toHaveProperty(key);
    for (const key of ['t_s', 'outputs', 'mse', 'modes']) expect(r.log[0]).toHaveProperty(key);
    for (const key of ['outputs', 'gates_V', 'power_W']) expect(r.final).toHaveProperty(key);
    expect(r.inputs).toHaveLength(4);
    expect(r.experiment.clamp).toEqual({ kind: 'differential', eta: 0.5 });
    expect(run.stdout).toMatch(/truth table/);
    expect(run.stdout).toMatch(/MSE .* → .*\(×\d+/);
    expect(run.stdout).toMatch(/µW per edge/);
    // Its set-up departs from the paper's start, and the summary says how and why.
    expect(run.stdout).toMatch(/Not the paper's start: gates from 3\.5 V \(paper 2\.5 V\) and V\+ = 0\.40 V \(paper 0\.33 V\), because/);
  });

  it('marks the edges joining two held nodes, and says what share of the inference power they carry', () => {
    const held = new Set([...r.roles.inputs, ...r.roles.rails.map((x) => x.node)]);
    const joinsHeld = r.network.edges.flatMap(([a, b], e) => (held.has(a) && held.has(b) ? [e] : []));
    // Inputs 0 and 2, rails 3 and 7: edges 2–3, 3–0 (the periodic wrap) and 3–7.
    expect(joinsHeld).toHaveLength(3);
    expect(r.final.heldEdges).toEqual(joinsHeld);
    const total = r.final.powerPerEdge_W.reduce((x, y) => x + y, 0);
    const share = joinsHeld.reduce((x, e) => x + r.final.powerPerEdge_W[e], 0) / total;
    expect(run.stdout).toContain(`of it ${(100 * share).toFixed(0)} % in the 3 edge(s) joining two held nodes (${joinsHeld.join(', ')})`);
  });

  it('writes an HTML report whose figures hold the plotted series', () => {
    const html = readFileSync(join(run.outDir, 'report.html'), 'utf8');
    expect(html).toMatch(/^<!DOCTYPE html>/i);
    expect(html).toContain('</html>');
    for (const fig of ['mse-modes', 'truth-table', 'network']) {
      const svgPath = join(run.outDir, 'figures', `${fig}.svg`);
      expect(existsSync(svgPath)).toBe(true);
      const svg = readFileSync(svgPath, 'utf8');
      expect(svg.startsWith('<svg')).toBe(true);
      expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
      expect(html).toContain(fig);
    }
    // The MSE figure draws one line per series: MSE and the four modes.
    const mseSvg = readFileSync(join(run.outDir, 'figures', 'mse-modes.svg'), 'utf8');
    for (const name of ['MSE', 'E00', 'E01', 'E10', 'E11']) expect(mseSvg).toContain(name);
  });
});
