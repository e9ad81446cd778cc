/**
 * `metatwin watch` as a person uses it: `metatwin run xor --record DIR` in one process,
 * `metatwin watch <run> --log DIR` in another while it runs. The watcher prints every test
 * step of the run's result.json (same MSE), sees steps arrive (a measured rate) and exits 0
 * on the finished line.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunResult } from '@metatwin/experiments';

const root = join(__dirname, '..', '..');
const bin = join(root, 'bin', 'metatwin.js');

function cli(args: string[]): { done: Promise<{ code: number | null; stdout: string; stderr: string }> } {
  const child = spawn(process.execPath, [bin, ...args], { cwd: root });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return { done: new Promise((resolve, reject) => child.on('error', reject).on('close', (code) => resolve({ code, stdout, stderr }))) };
}

describe('metatwin watch', () => {
  it('follows a recorded run from another process to its end', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'metatwin-watch-e2e-'));
    const logDir = join(dir, 'log');
    // Long enough that the watcher, a second process, starts while steps still arrive (≈ 4 s recorded).
    const run = cli(['run', 'xor', '--steps', '250000', '--record', logDir, '--no-report', '--out', join(dir, 'out')]);
    // The run id appears in the log's index with the run's first batch.
    const index = join(logDir, 'runs.idx');
    for (let waited = 0; !(existsSync(index) && readFileSync(index, 'utf8').includes('\n')); waited += 20) {
      if (waited > 120_000) throw new Error('the run never started recording');
      await new Promise((r) => setTimeout(r, 20));
    }
    const runId = readFileSync(index, 'utf8').split('\n')[0];
    const watched = await cli(['watch', runId, '--log', logDir, '--every', '0.1']).done;
    const ran = await run.done;
    expect(ran.code).toBe(0);
    expect(watched.stderr).toBe('');
    expect(watched.code).toBe(0);
    const result = JSON.parse(readFileSync(join(dir, 'out', 'result.json'), 'utf8')) as RunResult;
    const lines = watched.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(result.log.length + 1);
    result.log.forEach((e, i) => expect(lines[i]).toContain(`step ${String(e.step).padStart(7)}  MSE ${e.mse.toExponential(3)} V²`));
    expect(lines[lines.length - 1]).toMatch(/^finished: 250000 training steps, t = 25\.0000 s, final MSE /);
    // It watched steps arrive rather than only reading history.
    expect(lines.some((l) => /  [\d,]+ steps\/s$/.test(l))).toBe(true);
  }, 180_000);
});
