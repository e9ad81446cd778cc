/**
 * Embedded runs a user stops and goes on with: Ctrl-C (no terminal: cancel) records the run
 * as cancelled, writes result.json with what was done and exits 130; `resume` finishes it in
 * the same log with the gates and test readings of an uninterrupted run, and the log
 * verifies; `result` rebuilds the same result.json from the log alone. A runner killed
 * outright leaves its run interrupted (not "running" for ever); `cancel` records it as
 * cancelled, and `resume` finishes it the same way.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunResult } from '@metatwin/experiments';
import { REPO_ROOT as root, killClis, startCli } from '@metatwin/test-support';

const STEPS = 150_000;
type Result = RunResult & { run: string };

function cli(args: string[], env: NodeJS.ProcessEnv): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(root, 'bin', 'metatwin.js'), ...args], { cwd: root, env: { ...process.env, ...env }, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const read = (dir: string): Result => JSON.parse(readFileSync(join(dir, 'result.json'), 'utf8')) as Result;
/** What must not depend on how the run was stopped and continued. */
const physics = (r: Result): unknown => ({ gates: r.final.gates_V, log: r.log, steps: r.steps, summary: r.summary });

describe('stop and resume an embedded run', () => {
  let reference: Result;
  beforeAll(() => {
    const out = mkdtempSync(join(tmpdir(), 'mt-ref-'));
    expect(cli(['run', 'xor', '--steps', String(STEPS), '--out', out, '--no-report'], { METATWIN_LOG_DIR: join(out, 'log') }).status).toBe(0);
    reference = read(out);
  });
  afterAll(() => killClis());

  async function startThenStop(signal: NodeJS.Signals, env: NodeJS.ProcessEnv, out: string): Promise<{ code: number | null; out: string }> {
    const run = startCli(['run', 'xor', '--steps', String(STEPS), '--out', out, '--no-report'], env);
    // Well into the run: past the first tests.
    while (!/\b[2-9]0%/.test(run.output())) await new Promise((r) => setTimeout(r, 20));
    run.child.kill(signal);
    return run.done;
  }

  it('Ctrl-C cancels (exit 130, partial result.json); resume finishes it as if never stopped; result rebuilds it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mt-cancel-'));
    const env = { METATWIN_LOG_DIR: join(dir, 'log') };
    const stopped = await startThenStop('SIGINT', env, join(dir, 'first'));
    expect(stopped.code).toBe(130);
    expect(stopped.out).toMatch(/run cancelled: run \S+ cancelled: cancelled by the user \(Ctrl-C\)\ncontinue it with: metatwin resume \S+/);
    const partial = read(join(dir, 'first'));
    expect(partial.steps).toBeLessThan(STEPS);
    const runs = JSON.parse(cli(['runs', '--json'], env).stdout) as Array<{ run: string; status: string; steps: number }>;
    expect(runs).toEqual([expect.objectContaining({ run: partial.run, status: 'cancelled' })]);

    const resumed = cli(['resume', partial.run, '--out', join(dir, 'resumed'), '--no-report'], env);
    expect(resumed.status).toBe(0);
    expect(physics(read(join(dir, 'resumed')))).toEqual(physics(reference));
    const verify = cli(['replay', partial.run, '--verify'], env);
    expect(verify.status).toBe(0);
    expect(JSON.parse(verify.stdout).verify).toMatchObject({ complete: true, stepsRedriven: STEPS, mismatchedSnapshots: 0 });
    expect(JSON.parse(cli(['runs', '--json'], env).stdout)).toEqual([expect.objectContaining({ status: 'finished', steps: STEPS })]);

    expect(cli(['result', partial.run, '--out', join(dir, 'rebuilt'), '--no-report'], env).status).toBe(0);
    expect(physics(read(join(dir, 'rebuilt')))).toEqual(physics(reference));
  }, 120_000);

  it('a runner killed outright leaves the run interrupted; cancel records it, resume finishes it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mt-killed-'));
    const env = { METATWIN_LOG_DIR: join(dir, 'log') };
    expect((await startThenStop('SIGKILL', env, join(dir, 'first'))).code).toBe(null);
    const [row] = JSON.parse(cli(['runs', '--json'], env).stdout) as Array<{ run: string; status: string }>;
    expect(row.status).toBe('interrupted');
    const cancel = cli(['cancel', row.run], env);
    expect(cancel.stdout).toMatch(/recorded as cancelled/);
    expect(JSON.parse(cli(['runs', '--json'], env).stdout)).toEqual([expect.objectContaining({ status: 'cancelled' })]);
    expect(cli(['resume', row.run, '--out', join(dir, 'resumed'), '--no-report'], env).status).toBe(0);
    expect(physics(read(join(dir, 'resumed')))).toEqual(physics(reference));
    expect(JSON.parse(cli(['replay', row.run, '--verify'], env).stdout).verify).toMatchObject({ complete: true, stepsRedriven: STEPS, mismatchedSnapshots: 0 });
  }, 120_000);
});
