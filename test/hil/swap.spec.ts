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

/** The controller commands behind a supervisor signal: each of its port calls is one, and logs one signal. */
const supervisorCommands = (s: Signal): number => (['DacWritten', 'LearningEnabled', 'PotentiometerSet', 'DemuxSelected'].includes(s.type) ? 1 : 0);
/** Fast time-outs: a dropped frame costs 25 ms, not 100. */
const LINK = { METATWIN_LINK_TIMEOUT_MS: '25' };

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
    let commands = 0;
    const bridged = await runEmbedded(xor({ supervisor: `bridge:${target}` }), {
      runId: 'supervisor-bridged',
      clock,
      onSignal: (s: Signal) => {
        if (s.type === 'PortBound') bound.push(`${s.data.service}=${s.data.adapter}`);
        commands += supervisorCommands(s);
      },
    });
    expect(bound).toContain(`supervisor=bridge:${target}`);
    expect(bridged.final.gates_V).toEqual(sim.final.gates_V);
    expect(bridged.log.map((e) => e.outputs)).toEqual(sim.log.map((e) => e.outputs));
    // Every step's DAC write and pulse, and the set-up and test writes, went to the controller, once.
    expect(commands).toBeGreaterThan(2 * STEPS);
    expect(emulator.session.stats.applied).toBe(commands);
    expect(bridged.log[bridged.log.length - 1].mse).toBeLessThan(bridged.log[0].mse);
    process.stdout.write(
      `supervisor on its bridge: ${STEPS} steps in ${bridged.wall_s.toFixed(2)} s (${Math.round(STEPS / bridged.wall_s)} steps/s) against ${sim.wall_s.toFixed(2)} s all simulated\n`,
    );
  });
});

describe('faults on the link of a bridged run', () => {
  it('1 % of frames corrupted and 1 % dropped each way: the run completes bit for bit, every command applied exactly once', async () => {
    const faulty = new BoardEmulator(new EmulatedBoard(xor()), { faults: { corrupt: 0.01, drop: 0.01 }, faultSeed: 11 });
    const at = `tcp://127.0.0.1:${await faulty.listenTcp()}`;
    try {
      const sim = await runEmbedded(xor(), { runId: 'all-sim-2' });
      let commands = 0;
      const bridged = await runEmbedded(xor({ supervisor: `bridge:${at}` }), { runId: 'faulty-link', env: LINK, onSignal: (s) => (commands += supervisorCommands(s)) });
      expect(bridged.final.gates_V).toEqual(sim.final.gates_V);
      expect(faulty.stats.corrupted + faulty.stats.dropped).toBeGreaterThan(50);
      // Every command applied exactly once: none lost, none twice.
      expect(faulty.session.stats.applied).toBe(commands);
    } finally {
      await closeControllerLinks();
      await faulty.close();
    }
  });

  it('the link cut for 2 s mid-run: learning freezes within a step, the run resumes on reconnect and completes bit for bit', async () => {
    const cut = new BoardEmulator(new EmulatedBoard(xor()));
    const at = `tcp://127.0.0.1:${await cut.listenTcp()}`;
    try {
      const sim = await runEmbedded(xor(), { runId: 'all-sim-3' });
      const steps: Array<{ step: number; at_ms: number }> = [];
      let cutAt = -1;
      const bridged = await runEmbedded(xor({ supervisor: `bridge:${at}` }), {
        runId: 'cut-link',
        onSignal: (s: Signal) => {
          if (s.type !== 'GatesEvolved') return;
          steps.push({ step: s.data.step, at_ms: performance.now() });
          if (s.data.step === 1500) {
            cutAt = performance.now();
            cut.disconnect(2000);
          }
        },
      });
      expect(bridged.final.gates_V).toEqual(sim.final.gates_V);
      // Within one step of the cut nothing more was applied for the 2 s the cable was out.
      const after = steps.filter((s) => s.at_ms > cutAt);
      expect(after[1].at_ms - cutAt).toBeGreaterThan(1900);
      expect(after[1].step).toBeLessThanOrEqual(1502);
      expect(steps.map((s) => s.step)).toEqual(Array.from({ length: STEPS }, (_, k) => k));
    } finally {
      await closeControllerLinks();
      await cut.close();
    }
  });
});

describe('pacing', () => {
  it('a run with the supervisor on a board that keeps hardware time takes at least t_h per step, and learns the same', async () => {
    const paced = new BoardEmulator(new EmulatedBoard(xor(), true));
    const at = `tcp://127.0.0.1:${await paced.listenTcp()}`;
    try {
      const steps = 1000;
      const exp = planFromInput({ preset: 'xor' }, { steps }, { readText: () => '' });
      if (exp.kind !== 'run') throw new Error('not a run');
      const clock = (): number => performance.now() / 1000;
      const sim = await runEmbedded(exp.experiment, { runId: 'fast', clock });
      const run = await runEmbedded({ ...exp.experiment, rig: { ...exp.experiment.rig, supervisor: `bridge:${at}` } }, { runId: 'paced', clock });
      const learning_s = steps * exp.experiment.schedule.t_h_s;
      expect(run.final.gates_V).toEqual(sim.final.gates_V);
      expect(run.wall_s).toBeGreaterThanOrEqual(learning_s);
      process.stdout.write(`paced: real-time factor ${(learning_s / run.wall_s).toFixed(2)}; all simulated ${(learning_s / sim.wall_s).toFixed(1)}\n`);
    } finally {
      await closeControllerLinks();
      await paced.close();
    }
  });
});
