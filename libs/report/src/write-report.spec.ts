/**
 * writeReport end to end on synthetic results: files land where promised, every figure is
 * real SVG with drawn marks, and the page carries the figures, captions and summary numbers.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import type { ResultFile, RunResult } from '@metatwin/experiments';
import { formatSig } from './format';
import { namespaceSvgIds } from './render-svg';
import { syntheticClassificationRun, syntheticFamily, syntheticRegressionRun, syntheticXorRun } from './testing/synthetic-results';
import { writeReport } from './write-report';
import { expectSvg } from './testing/svg';

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'metatwin-report-'));
});
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

async function report(result: ResultFile, dir: string) {
  const out = await writeReport(result, join(root, dir));
  expect(out.warnings).toEqual([]);
  expect(isAbsolute(out.html)).toBe(true);
  expect(existsSync(out.html)).toBe(true);
  return { ...out, page: readFileSync(out.html, 'utf8') };
}

describe('writeReport', () => {
  it('writes an XOR report: error modes, truth table and network, all inline', async () => {
    const run = syntheticXorRun();
    const out = await report(run, 'xor');
    expect(out.figures.map((f) => f.slice(f.lastIndexOf('/') + 1))).toEqual(['mse-modes.svg', 'truth-table.svg', 'network.svg', 'power.svg']);
    for (const figure of out.figures) {
      expect(isAbsolute(figure)).toBe(true);
      expect(out.page).toContain(expectSvg(figure));
    }
    expect(out.page).toContain('<h1>xor</h1>');
    expect(out.page).toContain('seed 11 · 10,000 steps · learning time 1 s');
    expect(out.page).toContain(`${formatSig(run.summary.mseStart)} → ${formatSig(run.summary.mseEnd)} V²`);
    expect(out.page).toContain('E00 → E10 → E01 → E11 (in order)');
    expect(out.page).toContain('Truth table correct</th><td>yes');
    const perEdge_uW = (run.final.powerPerEdge_W.reduce((s, p) => s + p, 0) / run.final.powerPerEdge_W.length) * 1e6;
    expect(out.page).toContain(`${formatSig(perEdge_uW)} µW`);
    expect(out.page).toContain(`${formatSig(run.final.energyPerEdge_J * 1e12)} pJ`);
    expect(out.page).toContain('Labels: (0.00, 0.00) V → 0.0 mV; (0.00, 0.45) V → -87.0 mV');
    expect(out.page).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/);
  });

  it('keeps SVG ids unique across the figures of one page', async () => {
    const out = await report(syntheticXorRun(), 'xor-ids');
    const ids = [...out.page.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]);
    expect(ids.length).toBeGreaterThan(3);
    expect(new Set(ids).size).toBe(ids.length);
    for (const m of out.page.matchAll(/url\(#([^)]+)\)/g)) expect(ids).toContain(m[1]);
  });

  it('writes a regression report with output curves instead of a truth table', async () => {
    const run = syntheticRegressionRun();
    const out = await report(run, 'regression');
    expect(out.figures.map((f) => f.slice(f.lastIndexOf('/') + 1))).toEqual(['mse-modes.svg', 'outputs.svg', 'network.svg', 'power.svg']);
    out.figures.forEach(expectSvg);
    expect(out.page).not.toContain('Truth table correct');
    expect(out.page).toContain('Open black circles are the labels L');
  });

  it('writes a classification report: accuracy and confusion instead of outputs, accuracy rows instead of modes', async () => {
    const run = syntheticClassificationRun();
    const out = await report(run, 'classification');
    expect(out.figures.map((f) => f.slice(f.lastIndexOf('/') + 1))).toEqual(['mse-modes.svg', 'classification.svg', 'network.svg', 'power.svg']);
    out.figures.forEach(expectSvg);
    expect(out.page).toContain('Accuracy start → end');
    expect(out.page).toContain('Held-out accuracy start → end');
    expect(out.page).not.toContain('Mode half-times');
    // Labels are per datapoint and output: 4 datapoints × 2 outputs.
    await expect(writeReport({ ...run, labels: run.labels.slice(0, 4) }, join(root, 'bad-labels'))).rejects.toThrow(
      'run "classification": 4 input rows and 2 outputs but 4 labels',
    );
  });

  it('writes a family report with the mode trajectories and a task table', async () => {
    const family = syntheticFamily();
    const out = await report(family, 'family');
    expect(out.figures).toHaveLength(1);
    expect(out.page).toContain(expectSvg(out.figures[0]));
    expect(out.page).toContain('2 of 3 tasks learned their modes in order');
    for (const task of family.tasks) expect(out.page).toContain(`<td>${task.name}</td><td>${formatSig(task.summary.mseStart)}</td><td>${formatSig(task.summary.mseEnd)}</td>`);
    expect(out.page).toContain('<td>E1 → E0 → E2</td><td>no</td>');
  });

  it('rejects a run whose arrays do not fit its network, naming the array', async () => {
    const run = syntheticXorRun();
    const broken: RunResult = { ...run, final: { ...run.final, conductance_S: [1e-4] } };
    await expect(writeReport(broken, join(root, 'broken'))).rejects.toThrow(/final\.conductance_S has 1 values, expected 32/);
    await expect(writeReport({ ...run, log: [] }, join(root, 'empty'))).rejects.toThrow(RangeError);
  });

  it('lays out a network without a lattice on a circle', async () => {
    const run = syntheticXorRun();
    const network = { nodeCount: run.network.nodeCount, edges: run.network.edges };
    const out = await report({ ...run, network }, 'circle');
    expect(out.page).toContain('Nodes on a circle');
  });
});

describe('namespaceSvgIds', () => {
  it('renames definitions and their references together', () => {
    const svg = '<svg><defs><clipPath id="clip1"><rect/></clipPath></defs><g clip-path="url(#clip1)"><use href="#clip1"/></g></svg>';
    expect(namespaceSvgIds(svg, 'fig 2')).toBe(
      '<svg><defs><clipPath id="fig-2-clip1"><rect/></clipPath></defs><g clip-path="url(#fig-2-clip1)"><use href="#fig-2-clip1"/></g></svg>',
    );
  });
});
