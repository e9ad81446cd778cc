/**
 * Damage and the learning time: the network the run measured at a time and the one the log
 * replays at that time (and the final figures) must be the same network, also at the very
 * time the damage is due. The read-out is unquantised here, so a test step's outputs are the
 * model's outputs and can be compared with the replay's exact DC solve.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunResult } from '@metatwin/experiments';
import { runCli } from './cli-run';

const root = join(__dirname, '..', '..');
type Recorded = RunResult & { run: string };

function replayOutputs(run: string, logDir: string, at_s: number): number[] {
  const r = spawnSync(process.execPath, [join(root, 'bin', 'metatwin.js'), 'replay', run, '--at', String(at_s), '--log', logDir], { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`metatwin replay exited ${r.status}\n${r.stdout}\n${r.stderr}`);
  return (JSON.parse(r.stdout) as { outputs: number[] }).outputs;
}

const largestDifference = (a: number[], b: number[]): number => Math.max(...a.map((x, i) => Math.abs(x - b[i])));

describe('damage at its time', () => {
  it('a run ending at the damage time (edge 5 cut at 0.5 s, 5,000 steps): the last test step, the replay and the final figures all see the cut', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'metatwin-exp-')), 'cut-at-end.json');
    writeFileSync(
      file,
      JSON.stringify({ preset: 'xor', schedule: { steps: 5000 }, quantisation: { adc: false }, imperfections: { damage: [{ edge: 5, kind: 'open', at_s: 0.5 }] } }),
    );
    const run = runCli<Recorded>([file, '--no-report']);
    const r = run.result;
    const logDir = join(run.outDir, 'log');
    // Before the damage the logged test steps and the replay agree to the solver's precision.
    for (const entry of r.log.filter((e) => e.step === 3000 || e.step === 4000))
      expect(largestDifference(entry.outputs, replayOutputs(r.run, logDir, entry.t_s))).toBeLessThan(1e-6);
    // The final figures see the cut…
    expect(r.final.conductance_S[5]).toBe(0);
    // …so the final outputs, the last test step's, must be those of the cut network too,
    // as the replay at 0.5 s reports them.
    const last = r.log[r.log.length - 1];
    expect(last.t_s).toBe(0.5);
    expect(largestDifference(r.final.outputs, replayOutputs(r.run, logDir, 0.5))).toBeLessThan(1e-6);
  });
});
