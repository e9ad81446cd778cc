/**
 * All four subsystems on one board, each its own service process on a real nats-server: the
 * experiment's rig puts every subsystem on the same controller (the
 * board emulator over TCP), so each service binds its bridge there — four host processes on
 * one TCP controller, each with its own session. The run learns, every pulse is applied once,
 * its test outputs stay within the all-four tolerance of test/hil/matrix.spec.ts (no reading
 * in the learning loop: 2(LSB + 4σ/√n)), and its result reports the pacing.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BoardEmulator, EmulatedBoard } from '@metatwin/emulator';
import type { RunResult } from '@metatwin/experiments';
import { NODE_ADC, lsb_V } from '@metatwin/physics';
import { runEmbedded } from '@metatwin/services';
import { killClis, startCli, startNats, startServices, stopServices, type NatsServer, type ServiceProcess } from '@metatwin/test-support';
import { NOISE_V, REPEATS, paperXor, paperXorInput } from './paper-xor';

let nats: NatsServer;
let services: ServiceProcess[] = [];
let emulator: BoardEmulator;
let port: number;

beforeAll(async () => {
  emulator = new BoardEmulator(new EmulatedBoard(paperXor()));
  port = await emulator.listenTcp();
  nats = await startNats();
  services = await startServices({ natsUrl: nats.url });
});

afterAll(async () => {
  killClis();
  await stopServices(services);
  await nats?.stop();
  await emulator?.close();
});

describe('a distributed run with all four subsystems on one board', () => {
  it('learns as all simulated, within the all-four tolerance, every pulse applied once, with its pacing reported', async () => {
    const exp = paperXor();
    const sim = await runEmbedded(exp, { runId: 'distributed-board-reference' });
    const dir = mkdtempSync(join(tmpdir(), 'mt-board-'));
    const file = join(dir, 'xor.json');
    // The experiment's rig puts all four on the board (a distributed run takes its rig from the experiment).
    const at = `bridge:tcp://127.0.0.1:${port}`;
    writeFileSync(file, JSON.stringify({ ...paperXorInput(), rig: { supervisor: at, 'edge-physics': at, clamping: at, measurement: at } }));
    const { code, out } = await startCli(['run', file, '--bus', nats.url, '--out', dir, '--no-report']).within(180_000);
    expect({ code, out: code === 0 ? '' : out }).toEqual({ code: 0, out: '' });
    const result = JSON.parse(readFileSync(join(dir, 'result.json'), 'utf8')) as RunResult & { run: string };
    expect(emulator.session.stats.pulses).toBe(exp.schedule.steps);
    for (const s of services) expect([s.name, s.output]).toEqual([s.name, expect.stringMatching(/controller tcp:\/\/127\.0\.0\.1:\d+: link up/)]);
    expect(result.log[result.log.length - 1].mse).toBeLessThan(result.log[0].mse / 5);
    const lsb = lsb_V(NODE_ADC);
    const tolerance = 2 * (lsb + (4 * NOISE_V) / Math.sqrt(REPEATS));
    const worst = Math.max(...result.log.flatMap((e, i) => e.outputs.map((o, j) => Math.abs(o - sim.log[i].outputs[j]))));
    expect(worst).toBeLessThanOrEqual(tolerance);
    expect(result.pacing?.steps).toBe(exp.schedule.steps);
    expect(result.pacing?.realTimeFactor).toBeGreaterThan(0);
    process.stdout.write(
      `distributed, all four on one board: worst test-output deviation ${(worst * 1e3).toFixed(2)} mV (tolerance ${(tolerance * 1e3).toFixed(2)} mV); real-time factor ${result.pacing?.realTimeFactor.toFixed(2)}\n`,
    );
  });
});
