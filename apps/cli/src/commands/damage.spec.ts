/**
 * `metatwin damage` as a person runs it (the built CLI, spawned) and its input checks (in
 * process, through main). Real physics: the regression preset learns 0.3 s and relearns.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DamageRetrainResult } from '@metatwin/services';
import { captureMain } from '../testing/capture-main';

const root = join(__dirname, '..', '..', '..', '..');

const cli = captureMain;

describe('metatwin damage', () => {
  it('prints the cut edge, the MSE around the cut and the relearn time, and writes damage.json', () => {
    const out = mkdtempSync(join(tmpdir(), 'metatwin-damage-'));
    const r = spawnSync(process.execPath, [join(root, 'bin', 'metatwin.js'), 'damage', 'regression', '--learn', '0.3', '--relearn', '0.4', '--test-every', '1000', '--out', out], {
      cwd: root,
      encoding: 'utf8',
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const result = JSON.parse(readFileSync(join(out, 'damage.json'), 'utf8')) as DamageRetrainResult;
    expect(result.kind).toBe('damage-retrain');
    const [a, b] = result.cut.nodes;
    // The edge marked as cut in the ranking is the one the file names, with its two nodes.
    expect(r.stdout).toMatch(new RegExp(`edge +${result.cut.edge} +nodes ${a}–${b} .*← cut`));
    expect(r.stdout).toContain(`MSE before the cut  ${result.mse.preCut_V2.toExponential(2)} V²`);
    expect(r.stdout).toContain(`right after it      ${result.mse.afterCut_V2.toExponential(2)} V²`);
    expect(result.relearn.time_s).not.toBeNull();
    // Times are printed to the resolution they were measured with.
    const digits = Math.max(0, -Math.floor(Math.log10(result.resolution_s)));
    expect(r.stdout).toContain(`relearned (MSE within 1.25× of before the cut) ${(result.relearn.time_s as number).toFixed(digits)} s after the cut`);
    expect(r.stdout).toContain(`the undamaged run first got there ${(result.original.toRelearned_s as number).toFixed(digits)} s from the start`);
    expect(r.stdout).toContain(`result: ${join(out, 'damage.json')}`);
  }, 60_000);

  it('--json prints the result, a short circuit with --kind short', async () => {
    const r = await cli(['damage', 'regression', '--learn', '0.1', '--relearn', '0.01', '--kind', 'short', '--seed', '2', '--json']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const result = JSON.parse(r.out) as DamageRetrainResult;
    expect(result).toMatchObject({ kind: 'damage-retrain', name: 'regression', seed: 2, damage: 'short', learn_s: 0.1, relearn_s: 0.01 });
    expect(result.ranking.length).toBeGreaterThan(0);
  }, 60_000);

  it.each([
    [['--learn', 'abc'], /--learn must be a number of seconds > 0, got "abc"/],
    [['--learn', '0'], /--learn must be a number of seconds > 0, got "0"/],
    [['--learn', '1.005'], /--learn must be a whole number of test intervals \(0\.01 s\), got 1\.005/],
    [['--relearn', '0'], /--relearn must be a number of seconds > 0, got "0"/],
    [['--relearn=-2'], /--relearn must be a number of seconds > 0, got "-2"/],
    [['--relearn', '0.00015'], /--relearn must be a whole number of steps \(t_h = 0\.0001 s\), got 0\.00015/],
    [['--kind', 'cut'], /--kind must be "open" or "short", got "cut"/],
    [['--seed', '1.5'], /--seed must be an integer ≥ 0, got "1\.5"/],
    [['--test-every', '0'], /--test-every must be an integer > 0, got "0"/],
  ])('rejects %j naming the flag (exit 2)', async (flags, message) => {
    const r = await cli(['damage', 'regression', ...flags]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
    expect(r.out).toBe('');
  });

  it('rejects a missing or unknown experiment and a family', async () => {
    expect(await cli(['damage'])).toMatchObject({ code: 2, err: expect.stringMatching(/damage needs exactly one preset name or experiment file/) });
    expect(await cli(['damage', 'no-such-thing'])).toMatchObject({ code: 2, err: expect.stringMatching(/"no-such-thing" is neither a preset .* nor a file/) });
    expect(await cli(['damage', 'regression-family'])).toMatchObject({ code: 2, err: expect.stringMatching(/regression-family is a family of 29 tasks/) });
  });
});
