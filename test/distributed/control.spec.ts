/**
 * Distributed runs a user stops and goes on with. Ctrl-C with --on-interrupt detach leaves
 * the run going on in the services; `attach` follows it to its end and writes the same
 * result.json as an uninterrupted run, and `result` rebuilds it from the log alone. `cancel`
 * stops a run (the CLI running it writes what was done and exits 130), and `resume` has the
 * services take it on again and finish it, with a complete log.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunResult } from '@metatwin/experiments';
import { startCli, type CliRun } from '@metatwin/test-support';
import { servicesWithReference, type ServicesRig } from './fixture';
import { followSteps } from './follow-steps';

const STEPS = 4000;
type Result = RunResult & { run: string };
const read = (dir: string): Result => JSON.parse(readFileSync(join(dir, 'result.json'), 'utf8')) as Result;
const physics = (r: Result): unknown => ({ gates: r.final.gates_V, log: r.log, steps: r.steps, summary: r.summary });
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
/** Each command's share of a test's time: one that hangs fails naming itself and what it printed. */
const LIMIT_MS = 40_000;

/** Wait until the followed run has acknowledged `step`; fail naming what the CLI and the services printed if it does not. */
async function untilStep(progress: { lastStep: number }, step: number, cli: CliRun, rig: ServicesRig): Promise<void> {
  for (const t0 = Date.now(); progress.lastStep < step; await sleep(10))
    if (Date.now() - t0 > LIMIT_MS)
      throw new Error(
        `step ${step} not acknowledged within ${LIMIT_MS} ms (last ${progress.lastStep}); the CLI printed:\n${cli.output()}\n${rig.services.map((s) => `${s.name}:\n${s.output.slice(-2000)}`).join('\n')}`,
      );
}

describe('stop, attach and resume a distributed run', () => {
  const rig = servicesWithReference(STEPS);

  it('Ctrl-C, detach, then attach and result give the uninterrupted result.json', async () => {
    const progress = await followSteps(rig.nats.url);
    const dir = mkdtempSync(join(tmpdir(), 'mt-detach-'));
    const run = startCli(['run', 'xor', '--steps', String(STEPS), '--bus', rig.nats.url, '--out', join(dir, 'first'), '--no-report', '--on-interrupt', 'detach']);
    await untilStep(progress, 800, run, rig);
    run.child.kill('SIGINT');
    const first = await run.within(LIMIT_MS);
    await progress.stop();
    expect(first.code).toBe(0);
    const id = /detached: run (\S+) goes on in the services; follow it with: metatwin attach \S+ --log nats:\/\/\S+/.exec(first.out)?.[1] as string;
    expect(id).toBeDefined();
    const attached = await startCli(['attach', id, '--log', rig.nats.url, '--out', join(dir, 'attached'), '--no-report']).within(LIMIT_MS);
    expect(attached.code).toBe(0);
    expect(physics(read(join(dir, 'attached')))).toEqual(physics(rig.reference));
    const rebuilt = await startCli(['result', id, '--log', rig.nats.url, '--out', join(dir, 'rebuilt'), '--no-report']).within(LIMIT_MS);
    expect(rebuilt.code).toBe(0);
    expect(physics(read(join(dir, 'rebuilt')))).toEqual(physics(rig.reference));
  }, 120_000);

  it('cancel stops the run (exit 130 for the CLI running it); resume finishes it with a complete log', async () => {
    const progress = await followSteps(rig.nats.url);
    const dir = mkdtempSync(join(tmpdir(), 'mt-cancel-'));
    const run = startCli(['run', 'xor', '--steps', String(STEPS), '--bus', rig.nats.url, '--out', join(dir, 'first'), '--no-report']);
    // Early, and with the run's id from the log itself: a loaded machine runs the remaining
    // steps within the time it takes to start the CLI that cancels.
    await untilStep(progress, 300, run, rig);
    const id = progress.lastRun;
    await progress.stop();
    const cancel = await startCli(['cancel', id, '--log', rig.nats.url]).within(LIMIT_MS);
    expect(cancel.code).toBe(0);
    const first = await run.within(LIMIT_MS);
    expect(first.code).toBe(130);
    expect(first.out).toMatch(/run cancelled: .*cancelled by the user \(metatwin cancel\)/);
    expect(read(join(dir, 'first')).steps).toBeLessThan(STEPS);
    for (let i = 0; i < 50; i++) {
      const row = (JSON.parse((await startCli(['runs', '--log', rig.nats.url, '--json']).within(LIMIT_MS)).out) as Array<{ run: string; status: string }>).find(
        (r) => r.run === id,
      );
      if (row?.status === 'cancelled') break;
      await sleep(100);
    }
    const resumed = await startCli(['resume', id, '--log', rig.nats.url, '--out', join(dir, 'resumed'), '--no-report']).within(LIMIT_MS);
    expect(resumed.code).toBe(0);
    expect(physics(read(join(dir, 'resumed')))).toEqual(physics(rig.reference));
    const verify = await startCli(['replay', id, '--verify', '--log', rig.nats.url]).within(LIMIT_MS);
    expect(verify.code).toBe(0);
    expect(JSON.parse(verify.out).verify).toMatchObject({ complete: true, problems: [], stepsRedriven: STEPS, mismatchedSnapshots: 0 });
  }, 120_000);
});
