/**
 * The swap seam: a subsystem on its hardware bridge, driving the board emulator over TCP,
 * the rest simulated, against the same run all simulated. The supervisor on its bridge: the
 * controller latches the codes and times the pulses, the twin learns from the codes it
 * reports — the same codes the simulated DAC gives, so the tolerance is zero: gates and
 * outputs bit for bit, and XOR learns as it does all simulated.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closeControllerLinks } from '@metatwin/bridges';
import type { Signal } from '@metatwin/contracts';
import { BoardEmulator, EmulatedBoard } from '@metatwin/emulator';
import { planFromInput, type Experiment, type RunResult } from '@metatwin/experiments';
import { runEmbedded } from '@metatwin/services';
import { startCli } from '@metatwin/test-support';

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
      const t_h_us = exp.experiment.schedule.t_h_s * 1e6;
      const learning_s = steps * exp.experiment.schedule.t_h_s;
      expect(run.final.gates_V).toEqual(sim.final.gates_V);
      expect(run.wall_s).toBeGreaterThanOrEqual(learning_s);
      // The result reports it: an all-simulated run has no pacing, a run on hardware does.
      expect(sim.pacing).toBeUndefined();
      const pacing = run.pacing;
      if (!pacing) throw new Error('a run with the supervisor on its bridge has no pacing');
      expect(pacing.steps).toBe(steps);
      expect(pacing.learning_s).toBeCloseTo(learning_s, 12);
      expect(pacing.wall_s).toBeLessThanOrEqual(run.wall_s);
      expect(pacing.realTimeFactor).toBeCloseTo(pacing.learning_s / pacing.wall_s, 12);
      expect(pacing.realTimeFactor).toBeGreaterThan(0);
      expect(pacing.realTimeFactor).toBeLessThanOrEqual(1);
      checkPeriods(pacing, t_h_us);
      // Every pulse was timed by the controller, none cut short.
      expect(pacing.pulseOverrun_us?.count).toBe(steps);
      expect(pacing.pulseOverrun_us?.mean).toBeGreaterThanOrEqual(0);
      expect(pacing.pulseOverrun_us?.max).toBeGreaterThanOrEqual(pacing.pulseOverrun_us?.mean ?? Infinity);
      process.stdout.write(
        `paced: real-time factor ${pacing.realTimeFactor.toFixed(2)}; step period p50 ${pacing.stepPeriod_us.p50.toFixed(0)} µs, p99 ${pacing.stepPeriod_us.p99.toFixed(0)} µs, max ${pacing.stepPeriod_us.max.toFixed(0)} µs; pulses over t_h by ${pacing.pulseOverrun_us?.mean.toFixed(1)} µs on average; all simulated ${(learning_s / sim.wall_s).toFixed(1)}\n`,
      );
    } finally {
      await closeControllerLinks();
      await paced.close();
    }
  });

  it('metatwin run with all four on a board that keeps hardware time: result.json and the summary report the pacing', async () => {
    const paced = new BoardEmulator(new EmulatedBoard(xor(), true));
    const at = `bridge:tcp://127.0.0.1:${await paced.listenTcp()}`;
    const dir = mkdtempSync(join(tmpdir(), 'mt-pacing-'));
    try {
      const steps = 1000;
      const env = { METATWIN_SUPERVISOR: at, METATWIN_EDGE_PHYSICS: at, METATWIN_CLAMPING: at, METATWIN_MEASUREMENT: at, METATWIN_LOG_DIR: join(dir, 'log') };
      const cli = await startCli(['run', 'xor', '--steps', String(steps), '--out', dir, '--no-report'], env).within(120_000);
      expect(cli.code).toBe(0);
      const result = JSON.parse(readFileSync(join(dir, 'result.json'), 'utf8')) as RunResult;
      const pacing = result.pacing;
      if (!pacing) throw new Error(`result.json has no pacing; the CLI printed:\n${cli.out}`);
      expect(pacing.steps).toBe(steps);
      expect(pacing.realTimeFactor).toBeGreaterThan(0);
      expect(pacing.realTimeFactor).toBeLessThanOrEqual(1);
      checkPeriods(pacing, result.experiment.schedule.t_h_s * 1e6);
      // With the network on the board, its bridge pulses learn-enable: one per step.
      expect(pacing.pulseOverrun_us?.count).toBe(steps);
      expect(paced.session.stats.pulses).toBe(steps);
      expect(cli.out).toMatch(
        new RegExp(`pacing \\(on hardware\\): 1,000 steps of 100 µs, 0\\.10 s of learning time in [\\d.]+ s wall: real-time factor ${pacing.realTimeFactor.toFixed(2)}`),
      );
      expect(cli.out).toMatch(/step period [\d,]+ ± [\d,]+ µs, median [\d,]+, 99th percentile [\d,]+, max [\d,]+ µs/);
      expect(cli.out).toMatch(/learn pulses over t_h by [\d.]+ µs on average, [\d,]+ µs at most \(1,000 timed by the controller\)/);
      process.stdout.write(
        `metatwin run, all four on the paced board:\n${cli.out
          .split('\n')
          .filter((l) => /pacing|step period|learn pulses/.test(l))
          .join('\n')}\n`,
      );
    } finally {
      await paced.close();
    }
  });
});

/** Step periods as a run on hardware gives them: ordered statistics, and the median no faster than t_h. */
function checkPeriods(pacing: NonNullable<RunResult['pacing']>, t_h_us: number): void {
  const p = pacing.stepPeriod_us;
  expect(p.p50).toBeGreaterThanOrEqual(t_h_us);
  expect(p.p50).toBeLessThanOrEqual(p.p99);
  expect(p.p99).toBeLessThanOrEqual(p.max);
  expect(p.mean).toBeGreaterThanOrEqual(t_h_us);
  expect(p.std).toBeGreaterThanOrEqual(0);
  // Every step but the first has its period: together they span the run but for its start.
  expect(p.mean * (pacing.steps - 1)).toBeLessThanOrEqual(pacing.wall_s * 1e6);
}
