/**
 * Kill -9 of the edge-physics service whose network is on hardware (the board emulator over
 * TCP), four service processes on a real nats-server. A restarted service takes the board up
 * as it is — it re-drives nothing on the hardware — and the run completes: every step's learn
 * pulse applied exactly once on the board (a pulse in flight at the kill is sent again with
 * its run tag and number, and answered without being applied), the outputs within the edge
 * bridge's derived tolerance of the all-simulated run (test/hil/matrix.spec.ts: 2δ/η + 2 LSB
 * with δ = LSB/2, no read-out noise in the preset), and the log holds every step once.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BoardEmulator, EmulatedBoard } from '@metatwin/emulator';
import { planFromInput, type RunResult } from '@metatwin/experiments';
import { NODE_ADC, lsb_V } from '@metatwin/physics';
import { runEmbedded } from '@metatwin/services';
import { killClis, startCli, startNats, startService, startServices, stopServices, type NatsServer, type ServiceProcess } from '@metatwin/test-support';

const STEPS = 3000;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

let nats: NatsServer;
let services: ServiceProcess[] = [];
let emulator: BoardEmulator;
let pinned: Record<string, string>;

function xor() {
  const plan = planFromInput({ preset: 'xor' }, { steps: STEPS }, { readText: () => '' });
  if (plan.kind !== 'run') throw new Error('not a run');
  return plan.experiment;
}

beforeAll(async () => {
  emulator = new BoardEmulator(new EmulatedBoard(xor()));
  const port = await emulator.listenTcp();
  nats = await startNats();
  pinned = { METATWIN_EDGE_PHYSICS: `bridge:tcp://127.0.0.1:${port}`, METATWIN_LINK_TIMEOUT_MS: '50' };
  services = await startServices({ natsUrl: nats.url, extra: { 'edge-physics': pinned } });
});

afterAll(async () => {
  killClis();
  await stopServices(services);
  await nats?.stop();
  await emulator?.close();
});

describe('the edge-physics service with its network on hardware, killed mid-run', () => {
  it('restarts without re-driving the board, and the run completes with every pulse applied once', async () => {
    const sim = await runEmbedded(xor(), { runId: 'recovery-reference' });
    const dir = mkdtempSync(join(tmpdir(), 'mt-hil-kill-'));
    const run = startCli(['run', 'xor', '--steps', String(STEPS), '--bus', nats.url, '--out', dir, '--no-report']);
    // After the first snapshot (step 999): the restart reads the run's tail.
    while (emulator.session.stats.pulses < 1300) {
      if (run.child.exitCode !== null) throw new Error(`the run ended early:\n${run.output()}`);
      await sleep(5);
    }
    const edge = services.findIndex((s) => s.name === 'edge-physics');
    services[edge].process.kill('SIGKILL');
    await sleep(1000);
    const whileDown = emulator.session.stats.pulses;
    await sleep(500);
    expect(emulator.session.stats.pulses).toBe(whileDown); // nothing learns while the network's service is gone
    services[edge] = startService('edge-physics', { natsUrl: nats.url, extra: { 'edge-physics': pinned } });
    const { code, out } = await run.within(120_000);
    expect({ code, out: code === 0 ? '' : out }).toEqual({ code: 0, out: '' });
    expect(services[edge].output).toMatch(/resumed run \S+ from step \d+ \(the board taken up as it is: nothing re-driven\)/);
    // Each step's pulse applied once on the board: none lost, none twice.
    expect(emulator.session.stats.pulses).toBe(STEPS);
    const result = JSON.parse(readFileSync(join(dir, 'result.json'), 'utf8')) as RunResult & { run: string };
    const lsb = lsb_V(NODE_ADC);
    const tolerance = (2 * (lsb / 2)) / 0.5 + 2 * lsb;
    const worst = Math.max(...result.log.flatMap((e, i) => e.outputs.map((o, j) => Math.abs(o - sim.log[i].outputs[j]))));
    expect(worst).toBeLessThanOrEqual(tolerance);
    const verify = await startCli(['replay', result.run, '--verify', '--log', nats.url]).within(120_000);
    // The log holds every step once; its snapshots are the board's ADC readings, which the twin's re-drive need not equal: not compared.
    expect(verify.code).toBe(0);
    expect(JSON.parse(verify.out).verify).toMatchObject({ complete: true, problems: [], stepsRedriven: STEPS, snapshotsCompared: 0, networkOnHardware: true });
  });
});
