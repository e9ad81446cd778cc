/**
 * A distributed run with the supervisor service pinned to its hardware bridge (the board
 * emulator over TCP), four service processes on a real nats-server: the link cut for 2 s
 * mid-run freezes the run — no step is applied while the supervisor cannot reach its
 * controller — and the run resumes on reconnect and completes with the gates of the
 * all-simulated run; the log holds every step once and verifies.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BoardEmulator, EmulatedBoard } from '@metatwin/emulator';
import { planFromInput, type RunResult } from '@metatwin/experiments';
import { runEmbedded } from '@metatwin/services';
import { killClis, startCli, startNats, startServices, stopServices, type NatsServer, type ServiceProcess } from '@metatwin/test-support';

const STEPS = 3000;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

let nats: NatsServer;
let services: ServiceProcess[] = [];
let emulator: BoardEmulator;

beforeAll(async () => {
  const plan = planFromInput({ preset: 'xor' }, { steps: STEPS }, { readText: () => '' });
  if (plan.kind !== 'run') throw new Error('not a run');
  emulator = new BoardEmulator(new EmulatedBoard(plan.experiment));
  const port = await emulator.listenTcp();
  nats = await startNats();
  services = await startServices({ natsUrl: nats.url, extra: { supervisor: { METATWIN_SUPERVISOR: `bridge:tcp://127.0.0.1:${port}`, METATWIN_LINK_TIMEOUT_MS: '50' } } });
});

afterAll(async () => {
  killClis();
  await stopServices(services);
  await nats?.stop();
  await emulator?.close();
});

describe('the supervisor service on its hardware bridge', () => {
  it('a 2 s cut of its controller link freezes the run, which then completes as all simulated', async () => {
    const plan = planFromInput({ preset: 'xor' }, { steps: STEPS }, { readText: () => '' });
    if (plan.kind !== 'run') throw new Error('not a run');
    const sim = await runEmbedded(plan.experiment, { runId: 'hil-reference' });
    const dir = mkdtempSync(join(tmpdir(), 'mt-hil-'));
    const run = startCli(['run', 'xor', '--steps', String(STEPS), '--bus', nats.url, '--out', dir, '--no-report']);
    // Each step is two controller commands (DAC write, pulse): cut the link at about step 1000.
    while (emulator.session.stats.applied < 2000) {
      if (run.child.exitCode !== null) throw new Error(`the run ended early:\n${run.output()}`);
      await sleep(10);
    }
    emulator.disconnect(2000);
    const atCut = emulator.session.stats.applied;
    await sleep(1500);
    // Frozen: nothing reached the board (a command in flight at the cut at most).
    expect(emulator.session.stats.applied - atCut).toBeLessThanOrEqual(1);
    const { code, out } = await run.within(120_000);
    expect({ code, out: code === 0 ? '' : out }).toEqual({ code: 0, out: '' });
    const result = JSON.parse(readFileSync(join(dir, 'result.json'), 'utf8')) as RunResult & { run: string };
    expect(result.final.gates_V).toEqual(sim.final.gates_V);
    const supervisor = services.find((s) => s.name === 'supervisor');
    expect(supervisor?.output).toMatch(/controller tcp:\/\/127\.0\.0\.1:\d+: link down/);
    expect(supervisor?.output).toMatch(/controller tcp:\/\/127\.0\.0\.1:\d+: link up/);
    const verify = await startCli(['replay', result.run, '--verify', '--log', nats.url]).within(120_000);
    expect(JSON.parse(verify.out).verify).toMatchObject({ complete: true, problems: [], stepsRedriven: STEPS, mismatchedSnapshots: 0 });
  });
});
