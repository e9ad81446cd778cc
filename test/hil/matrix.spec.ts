/**
 * The swap matrix: XOR with each subsystem alone on its hardware bridge (the board emulator
 * over TCP, the rest simulated), and with all four on bridges, against the same run all
 * simulated. Each run gets a fresh board: a real network keeps what it learned.
 *
 * The task is XOR from the paper's starting point (gates at 2.5 V, V+ = 0.33 V) with t_h = 1 ms,
 * so it learns (MSE down ≈ 15×) in 2,500 steps. The ADC has read-out noise σ = 0.5 mV and
 * averages 16 repeats, in the simulation and on the emulated board alike.
 *
 * The tolerance on each test output (O+ − O−, volts), derived from quantisation and noise:
 * - a reading through the ADC is off by at most δ = LSB/2 + 4σ/√n (LSB ≈ 1.76 mV; 4σ bounds the
 *   averaged noise but for 6·10⁻⁵ of readings), a jig write by its LSB/2 (15 µV, negligible);
 * - learning: where a reading sits inside the learning loop (a real network's free output
 *   read for a simulated clamp; a real clamp's O^C read back for a simulated network), the
 *   clamp's value is off by up to δ each step, which moves the learned fixed point of each
 *   output node by up to δ/η: 2δ/η on the difference. With all four on the board, the clamp
 *   follows the real network in analog: no reading in the loop;
 * - read-out: the two runs' test readings of each output node round apart by up to one LSB
 *   plus the noise bound: 2(LSB + 4σ/√n) on the difference.
 */
import { closeControllerLinks } from '@metatwin/bridges';
import type { Source } from '@metatwin/contracts';
import { BoardEmulator, EmulatedBoard, type EmulatorOptions } from '@metatwin/emulator';
import type { Experiment } from '@metatwin/experiments';
import { NODE_ADC, lsb_V } from '@metatwin/physics';
import { runEmbedded } from '@metatwin/services';
import { NOISE_V, REPEATS, STEPS, paperXor } from './paper-xor';

type EmbeddedRun = Awaited<ReturnType<typeof runEmbedded>>;

const ETA = 0.5;

function xor(rig: Partial<Experiment['rig']> = {}): Experiment {
  const exp = paperXor(rig);
  expect(exp.clamp).toEqual({ kind: 'differential', eta: ETA });
  return exp;
}

const LSB = lsb_V(NODE_ADC);
const DELTA = LSB / 2 + (4 * NOISE_V) / Math.sqrt(REPEATS);
const READOUT = 2 * (LSB + (4 * NOISE_V) / Math.sqrt(REPEATS));
/** Readings inside the learning loop, per rig. */
const tolerance = (readingsInLoop: number): number => readingsInLoop * ((2 * DELTA) / ETA) + READOUT;

/** A run on a fresh emulated board with `bridged` on it; the board's session is handed back. */
async function onBoard(bridged: ReadonlyArray<Source>, runId: string, options: EmulatorOptions = {}, during?: (emulator: BoardEmulator, step: number) => void) {
  const emulator = new BoardEmulator(new EmulatedBoard(xor()), options);
  const at = `bridge:tcp://127.0.0.1:${await emulator.listenTcp()}`;
  try {
    const run = await runEmbedded(xor(Object.fromEntries(bridged.map((s) => [s, at]))), {
      runId,
      clock: () => performance.now() / 1000,
      env: { METATWIN_LINK_TIMEOUT_MS: '25' },
      onSignal: (s) => (s.type === 'GatesEvolved' && during ? during(emulator, s.data.step) : undefined),
    });
    return { run, stats: { ...emulator.session.stats }, link: { ...emulator.stats } };
  } finally {
    await closeControllerLinks();
    await emulator.close();
  }
}

const worst = (a: EmbeddedRun, b: EmbeddedRun): number => Math.max(...a.log.flatMap((e, i) => e.outputs.map((o, j) => Math.abs(o - b.log[i].outputs[j]))));

let sim: EmbeddedRun;
beforeAll(async () => {
  sim = await runEmbedded(xor(), { runId: 'all-simulated' });
  expect(sim.log[sim.log.length - 1].mse).toBeLessThan(sim.log[0].mse / 5);
});

describe('swap matrix (XOR from the paper’s start, 2,500 steps of 1 ms)', () => {
  const cases: Array<[string, Source[], number]> = [
    ['edge physics (the network) alone on its bridge', ['edge-physics'], 1],
    ['clamping alone on its bridge', ['clamping'], 1],
    ['measurement alone on its bridge', ['measurement'], 0],
    ['all four on bridges', ['supervisor', 'edge-physics', 'clamping', 'measurement'], 0],
  ];
  it.each(cases)('%s: learns, and every test output is within the derived tolerance of the all-simulated run', async (name, bridged, inLoop) => {
    const { run, stats } = await onBoard(bridged, `matrix-${bridged.join('+')}`);
    const first = run.log[0].mse;
    const last = run.log[run.log.length - 1].mse;
    expect(last).toBeLessThan(first / 5);
    const tol = tolerance(inLoop);
    const dev = worst(run, sim);
    expect(dev).toBeLessThanOrEqual(tol);
    // A network on the board learned there: one pulse per step, each applied once.
    if (bridged.includes('edge-physics') || bridged.includes('supervisor')) expect(stats.pulses).toBe(STEPS);
    process.stdout.write(
      `${name}: MSE ${first.toExponential(2)} → ${last.toExponential(2)}; worst test-output deviation ${(dev * 1e3).toFixed(2)} mV (tolerance ${(tol * 1e3).toFixed(2)} mV); ${run.wall_s.toFixed(2)} s\n`,
    );
  });
});

describe('all four on bridges, faults on the link', () => {
  const ALL: Source[] = ['supervisor', 'edge-physics', 'clamping', 'measurement'];
  let clean: EmbeddedRun;
  beforeAll(async () => {
    clean = (await onBoard(ALL, 'all-clean')).run;
  });

  it('1 % of frames corrupted and 1 % dropped each way: the run completes as on a clean link, every pulse applied exactly once', async () => {
    const { run, stats, link } = await onBoard(ALL, 'all-faulty', { faults: { corrupt: 0.01, drop: 0.01 }, faultSeed: 5 });
    expect(link.corrupted + link.dropped).toBeGreaterThan(100);
    expect(stats.pulses).toBe(STEPS);
    expect(run.log.map((e) => e.outputs)).toEqual(clean.log.map((e) => e.outputs));
    expect(run.final.gates_V).toEqual(clean.final.gates_V);
  });

  it('the link cut for 2 s mid-run: nothing is applied while it is out, and the run resumes and completes as on a clean link', async () => {
    const evolved: Array<{ step: number; at_ms: number }> = [];
    let cutAt = -1;
    const { run, stats } = await onBoard(ALL, 'all-cut', {}, (emulator, step) => {
      evolved.push({ step, at_ms: performance.now() });
      if (step === 1200) {
        cutAt = performance.now();
        emulator.disconnect(2000);
      }
    });
    const after = evolved.filter((e) => e.at_ms > cutAt);
    expect(after[1].at_ms - cutAt).toBeGreaterThan(1900);
    expect(after[1].step).toBeLessThanOrEqual(1202);
    expect(stats.pulses).toBe(STEPS);
    expect(run.log.map((e) => e.outputs)).toEqual(clean.log.map((e) => e.outputs));
  });
});
