/**
 * `metatwin calibrate` against the board emulator: a hidden chip with σ(VTO) = 10 mV,
 * σ(k)/k = 0.5 % (each copy drawn on its own), learning-rule offsets (σ 10⁻³ V²) and read-out
 * noise 0.5 mV; the chip-calibration preset run once per gate level (1.2, 1.6, 2.5, 3.5 V) with
 * the network on the board, recorded by the CLI. In both copies the fit recovers each
 * observable edge's VTO to ≤ 2 mV RMS and k to ≤ 0.2 % RMS (edges between two nodes a copy
 * holds are invisible to every node reading and keep the card's values), the learning-rule
 * offsets to within a tenth of their spread (from the gates read while the runs learned), and `metatwin compare --chip` with the fitted chip brings the residuals
 * of a run's readings — at every test, while it learned too — down to the noise floor.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChipSpec } from '@metatwin/contracts';
import { BoardEmulator, EmulatedBoard } from '@metatwin/emulator';
import { CALIBRATION_GATES_V, planFromInput, type Experiment } from '@metatwin/experiments';
import type { CompareReport } from '@metatwin/services';
import { startCli } from '@metatwin/test-support';

const NOISE_V = 0.5e-3;

function calibrationInput(gate_V: number): Record<string, unknown> {
  return { preset: 'chip-calibration', initialGates_V: gate_V, imperfections: { readoutNoiseSigma_V: NOISE_V } };
}

/** The board: the calibration experiment with its hidden chip. */
function board(gate_V: number): Experiment {
  const plan = planFromInput(calibrationInput(gate_V), {}, { readText: () => '' });
  if (plan.kind !== 'run') throw new Error('not a run');
  const exp = plan.experiment;
  return { ...exp, seed: 77, imperfections: { ...exp.imperfections, mismatch: { vtoSigma_V: 0.01, kpRelSigma: 0.005 }, learningOffsetSigma_V2: 1e-3 } };
}

const emulators: BoardEmulator[] = [];
afterAll(async () => {
  for (const e of emulators) await e.close();
});

describe('metatwin calibrate', () => {
  it('recovers VTO to ≤ 2 mV RMS and k to ≤ 0.2 % RMS from one chip-calibration run per gate level; compare --chip then falls to the noise floor', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mt-calibrate-'));
    const log = join(dir, 'log');
    const runs: string[] = [];
    let truth: EmulatedBoard | undefined;
    for (const gate_V of CALIBRATION_GATES_V) {
      // A real board's gates are set to the level before its run; here, a board emulated at that level.
      const b = new EmulatedBoard(board(gate_V));
      truth ??= b;
      const emulator = new BoardEmulator(b);
      emulators.push(emulator);
      const port = await emulator.listenTcp();
      const file = join(dir, `calibration-${gate_V}.json`);
      writeFileSync(file, JSON.stringify(calibrationInput(gate_V)));
      const out = join(dir, `out-${gate_V}`);
      const run = await startCli(['run', file, '--out', out, '--no-report'], { METATWIN_EDGE_PHYSICS: `bridge:tcp://127.0.0.1:${port}`, METATWIN_LOG_DIR: log }).within(120_000);
      expect({ code: run.code, out: run.code === 0 ? '' : run.out }).toEqual({ code: 0, out: '' });
      runs.push((JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')) as { run: string }).run);
    }

    // One level cannot separate k from VTO: refused, naming why.
    const one = await startCli(['calibrate', runs[0], '--log', log, '--out', join(dir, 'one.json')]).within(60_000);
    expect(one.code).toBe(2);
    expect(one.out).toMatch(/need runs at two or more levels/);

    const chipFile = join(dir, 'chip.json');
    const cal = await startCli(['calibrate', ...runs, '--log', log, '--out', chipFile]).within(120_000);
    expect({ code: cal.code, out: cal.code === 0 ? '' : cal.out }).toEqual({ code: 0, out: '' });
    expect(cal.out).toMatch(/free copy: 29 edges fitted; edges [\d, ]+ join two held nodes/);
    expect(cal.out).toMatch(/clamped copy: \d+ edges fitted/);
    const chip = JSON.parse(readFileSync(chipFile, 'utf8')) as ChipSpec & { format: string };
    expect(chip.format).toBe('metatwin-chip/1');

    const twin = (truth as EmulatedBoard).twin;
    const rms = (xs: number[]): number => Math.sqrt(xs.reduce((s, x) => s + x * x, 0) / xs.length);
    /** Each copy's recovery over the edges its readings see (not between two nodes it holds). */
    const recovery = (fixed: Set<number>, fitted: { vto_V: ReadonlyArray<number>; k_AperV2: ReadonlyArray<number> }, real: typeof twin.freeTransistors) => {
      const seen = Array.from({ length: twin.network.edgeCount }, (_, e) => e).filter((e) => !(fixed.has(twin.network.edgeA[e]) && fixed.has(twin.network.edgeB[e])));
      const mean = seen.reduce((s, e) => s + real.vto_V[e], 0) / seen.length;
      return {
        edges: seen.length,
        vto_mV: rms(seen.map((e) => fitted.vto_V[e] - real.vto_V[e])) * 1e3,
        k_pc: rms(seen.map((e) => fitted.k_AperV2[e] / real.beta_AperV2[e] - 1)) * 100,
        spread_mV: rms(seen.map((e) => real.vto_V[e] - mean)) * 1e3,
      };
    };
    const free = recovery(new Set(twin.heldNodes), chip.free, twin.freeTransistors);
    const clamped = recovery(new Set([...twin.heldNodes, ...twin.outputNodes]), chip.clamped ?? { vto_V: [], k_AperV2: [] }, twin.clampedTransistors);
    for (const copy of [free, clamped]) {
      expect(copy.vto_mV).toBeLessThanOrEqual(2);
      expect(copy.k_pc).toBeLessThanOrEqual(0.2);
    }
    // The learning-rule offsets, from the gates read while the runs learned: within a tenth of their own spread.
    const offsets = twin.learningOffsets_V2 ?? new Float64Array(0);
    const offsetError_V2 = rms(Array.from(offsets, (o, e) => (chip.learningOffsets_V2?.[e] ?? Number.NaN) - o));
    const offsetSpread_V2 = rms(Array.from(offsets));
    expect(offsetError_V2).toBeLessThanOrEqual(offsetSpread_V2 / 10);

    // A run against its twin — every test, while it learned too: the card's twin, then the fitted chip's.
    const nominal = JSON.parse((await startCli(['compare', runs[0], '--log', log, '--json']).within(60_000)).out) as CompareReport;
    const fitted = JSON.parse((await startCli(['compare', runs[0], '--log', log, '--json', '--chip', chipFile]).within(60_000)).out) as CompareReport;
    const floor = fitted.noiseFloor_codes.node;
    expect(nominal.signals.networkNodes?.rms_codes).toBeGreaterThan(3 * floor);
    // The gates drift apart only as the run learns (an offset of 10⁻³ V² moves a gate ≈ 27 mV in its 20 ms): less, but as plain.
    expect(nominal.signals.networkGates?.rms_codes).toBeGreaterThan(3 * (fitted.signals.networkGates?.rms_codes ?? Infinity));
    expect(fitted.signals.networkNodes?.rms_codes).toBeLessThanOrEqual(floor);
    expect(fitted.signals.networkGates?.rms_codes).toBeLessThanOrEqual(fitted.noiseFloor_codes.gate);
    process.stdout.write(
      `calibrate: free copy VTO ${free.vto_mV.toFixed(2)} mV RMS (the chip's own spread ${free.spread_mV.toFixed(1)} mV), k ${free.k_pc.toFixed(3)} % RMS over ${free.edges} observable edges; ` +
        `clamped copy VTO ${clamped.vto_mV.toFixed(2)} mV, k ${clamped.k_pc.toFixed(3)} % over ${clamped.edges}; offsets ${offsetError_V2.toExponential(2)} V² RMS (their spread ${offsetSpread_V2.toExponential(2)}); ` +
        `compare at ${CALIBRATION_GATES_V[0]} V: nodes ${nominal.signals.networkNodes?.rms_codes.toFixed(2)} codes RMS with the card, ${fitted.signals.networkNodes?.rms_codes.toFixed(3)} with the fitted chip (floor ${floor.toFixed(3)}); ` +
        `gates ${nominal.signals.networkGates?.rms_codes.toFixed(2)} → ${fitted.signals.networkGates?.rms_codes.toFixed(3)} (floor ${fitted.noiseFloor_codes.gate.toFixed(3)})\n`,
    );
  });
});
