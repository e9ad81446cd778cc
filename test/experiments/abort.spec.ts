/**
 * A solve that fails at a test step ends the run the same way on every path: the supervisor
 * sends RunAborted, the CLI keeps what was measured in aborted.json and exits 1.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');

function run(bus: string): { status: number | null; stdout: string; out: string } {
  const out = mkdtempSync(join(tmpdir(), 'metatwin-abort-'));
  // A transistor so conductive that no DC solve converges: the first test (step 0) fails.
  const file = join(out, 'experiment.json');
  writeFileSync(file, JSON.stringify({ preset: 'regression', schedule: { steps: 200 }, transistor: { k_AperV2: 1e300 } }));
  const r = spawnSync(process.execPath, [join(root, 'bin', 'metatwin.js'), 'run', file, '--out', out, '--no-report', '--bus', bus], {
    cwd: root,
    env: { ...process.env, METATWIN_LOG_DIR: join(out, 'log') },
    encoding: 'utf8',
  });
  return { status: r.status, stdout: r.stdout, out };
}

describe('a test-step solve that fails', () => {
  it.each(['in-process', 'direct'])('aborts the run on the %s path: RunAborted, aborted.json, exit 1', (bus) => {
    const r = run(bus);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/run aborted: .*test at step 0: datapoint 0: free solve/);
    const aborted = JSON.parse(readFileSync(join(r.out, 'aborted.json'), 'utf8')) as { status: string; reason: string; log: unknown[] };
    expect(aborted.status).toBe('aborted');
    expect(aborted.reason).toMatch(/test at step 0/);
    expect(existsSync(join(r.out, 'result.json'))).toBe(false);
  });
});
