/**
 * The swap seam: a subsystem on its hardware bridge, driving the board emulator over TCP,
 * the rest simulated, against the same run all simulated. The supervisor on its bridge: the
 * controller latches the codes and times the pulses, the twin learns from the codes it
 * reports — the same codes the simulated DAC gives, so the tolerance is zero: gates and
 * outputs bit for bit, and XOR learns as it does all simulated.
 */
import { closeControllerLinks } from '@metatwin/bridges';
import type { Signal } from '@metatwin/contracts';
import { BoardEmulator, EmulatedBoard } from '@metatwin/emulator';
import { planFromInput, type Experiment } from '@metatwin/experiments';
import { runEmbedded } from '@metatwin/services';

const STEPS = 4000;

function xor(rig: Partial<Experiment['rig']> = {}): Experiment {
  const plan = planFromInput({ preset: 'xor' }, { steps: STEPS }, { readText: () => '' });
  if (plan.kind !== 'run') throw new Error('not a run');
  return { ...plan.experiment, rig: { ...plan.experiment.rig, ...rig } };
}

let emulator: BoardEmulator;
let target: string;

beforeAll(async () => {
  emulator = new BoardEmulator(new EmulatedBoard(xor()));
  target = `tcp://127.0.0.1:${await emulator.listenTcp()}`;
});

afterAll(async () => {
  await closeControllerLinks();
  await emulator.close();
});

describe('swap matrix', () => {
  it('the supervisor alone on its bridge: the run equals the all-simulated one bit for bit, and the board was driven', async () => {
    const clock = (): number => performance.now() / 1000;
    const sim = await runEmbedded(xor(), { runId: 'all-sim', clock });
    const bound: string[] = [];
    const bridged = await runEmbedded(xor({ supervisor: `bridge:${target}` }), {
      runId: 'supervisor-bridged',
      clock,
      onSignal: (s: Signal) => {
        if (s.type === 'PortBound') bound.push(`${s.data.service}=${s.data.adapter}`);
      },
    });
    expect(bound).toContain(`supervisor=bridge:${target}`);
    expect(bridged.final.gates_V).toEqual(sim.final.gates_V);
    expect(bridged.log.map((e) => e.outputs)).toEqual(sim.log.map((e) => e.outputs));
    // Every step's DAC write and pulse, and the set-up and test writes, went to the controller.
    expect(emulator.session.stats.applied).toBeGreaterThan(2 * STEPS);
    expect(bridged.log[bridged.log.length - 1].mse).toBeLessThan(bridged.log[0].mse);
    process.stdout.write(
      `supervisor on its bridge: ${STEPS} steps in ${bridged.wall_s.toFixed(2)} s (${Math.round(STEPS / bridged.wall_s)} steps/s) against ${sim.wall_s.toFixed(2)} s all simulated\n`,
    );
  });
});
