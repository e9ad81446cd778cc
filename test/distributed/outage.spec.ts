/**
 * NATS goes away mid-run — killed (SIGKILL) or stopped (SIGTERM), for 1, 5 or 10 s — and
 * comes back on the same port and store. Log-first delivery means nothing was acted on that
 * the log does not hold and nothing sent during the outage is dropped: learning stays
 * frozen, every service catches up from the log, and the run completes with the gates of an
 * uninterrupted run, its log complete (verify). The CLI says it is waiting for NATS; given
 * less patience than the outage (METATWIN_NATS_WAIT_S) it gives up with exit 3 and the
 * services still finish the run.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunResult } from '@metatwin/experiments';
import { startCli } from '@metatwin/test-support';
import { servicesWithReference } from './fixture';
import { followSteps } from './follow-steps';

const STEPS = 4000;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('NATS outage mid-run', () => {
  const rig = servicesWithReference(STEPS);

  /** Start a run, wait until it is well under way, take NATS down for `down_ms`. */
  async function runThroughOutage(hard: boolean, down_ms: number, env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; out: string; dir: string }> {
    const progress = await followSteps(rig.nats.url);
    const dir = mkdtempSync(join(tmpdir(), 'mt-outage-'));
    const cli = startCli(['run', 'xor', '--steps', String(STEPS), '--bus', rig.nats.url, '--out', dir, '--no-report'], env);
    while (progress.lastStep < 800) await sleep(10);
    await rig.nats.restart({ hard, down_ms });
    const r = await cli.done;
    await progress.stop();
    return { ...r, dir };
  }

  it.each([
    ['SIGKILL', 5],
    ['SIGTERM', 5],
    ['SIGKILL', 1],
    ['SIGKILL', 10],
  ])(
    '%s, down %i s: the run completes with the uninterrupted gates and a complete log',
    async (signal, down_s) => {
      const r = await runThroughOutage(signal === 'SIGKILL', (down_s as number) * 1000);
      expect(r.out).toMatch(/waiting for NATS at nats:\/\/127\.0\.0\.1:\d+… \(learning is frozen, nothing is lost; giving up after 60 s\)/);
      expect(r.out).toMatch(/NATS at nats:\/\/127\.0\.0\.1:\d+ is back/);
      expect(r.code).toBe(0);
      const result = JSON.parse(readFileSync(join(r.dir, 'result.json'), 'utf8')) as RunResult & { run: string };
      expect(result.final.gates_V).toEqual(rig.reference.final.gates_V);
      expect(result.log.map((e) => e.outputs)).toEqual(rig.reference.log.map((e) => e.outputs));
      const v = await startCli(['replay', result.run, '--verify', '--log', rig.nats.url]).done;
      expect(v.code).toBe(0);
      expect(JSON.parse(v.out).verify).toMatchObject({ complete: true, problems: [], stepsRedriven: STEPS, mismatchedSnapshots: 0 });
    },
    120_000,
  );

  it('a CLI with less patience than the outage gives up with exit 3, and the services still finish the run', async () => {
    const r = await runThroughOutage(true, 4000, { METATWIN_NATS_WAIT_S: '1.5' });
    expect(r.code).toBe(3);
    const run = /run (\S+) is kept in the event log/.exec(r.out)?.[1];
    expect(r.out).toMatch(/NATS at nats:\/\/127\.0\.0\.1:\d+ has been unreachable for 1\.5 s \(METATWIN_NATS_WAIT_S\): run \S+ is kept in the event log/);
    expect(run).toBeDefined();
    for (let i = 0; i < 300; i++) {
      const runs = await startCli(['runs', '--log', rig.nats.url, '--json']).done;
      const row = (JSON.parse(runs.out) as Array<{ run: string; status: string; steps: number }>).find((x) => x.run === run);
      if (row?.status === 'finished') break;
      await sleep(100);
    }
    const v = await startCli(['replay', run as string, '--verify', '--log', rig.nats.url]).done;
    expect(v.code).toBe(0);
    expect(JSON.parse(v.out).verify).toMatchObject({ complete: true, stepsRedriven: STEPS, mismatchedSnapshots: 0 });
    const at = await startCli(['replay', run as string, '--log', rig.nats.url]).done;
    expect(JSON.parse(at.out).gates_V).toEqual(rig.reference.final.gates_V);
  }, 120_000);
});
