/**
 * `metatwin compare`: a run whose network is on the board emulator (a hidden chip with
 * σ(VTO) = 10 mV, σ(k)/k = 0.5 %, read-out noise 0.5 mV, 16 repeats), recorded by the CLI, is
 * set against its twin re-driven on the recorded inputs. The nominal twin (no mismatch) leaves
 * residuals several times the noise floor; the twin with the board's true chip leaves them at
 * the floor — so the residuals measure what the twin lacks, not the plumbing.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closeControllerLinks } from '@metatwin/bridges';
import { BoardEmulator, EmulatedBoard } from '@metatwin/emulator';
import { FileEventLog } from '@metatwin/eventlog';
import type { Experiment } from '@metatwin/experiments';
import { compareRun, readRunSignals, type CompareReport } from '@metatwin/services';
import { startCli } from '@metatwin/test-support';
import { paperXor, paperXorInput } from './paper-xor';

/** The board's hidden chip: the experiment with mismatch drawn from its own seed. */
const chipOf = (exp: Experiment): Experiment => ({ ...exp, seed: 77, imperfections: { ...exp.imperfections, mismatch: { vtoSigma_V: 0.01, kpRelSigma: 0.005 } } });

let emulator: BoardEmulator;
afterAll(async () => {
  await closeControllerLinks();
  await emulator?.close();
});

describe('metatwin compare', () => {
  it('measures what the twin lacks: residuals well above the noise floor with the nominal twin, at it with the board’s chip', async () => {
    const exp = paperXor();
    emulator = new BoardEmulator(new EmulatedBoard(chipOf(exp)));
    const port = await emulator.listenTcp();
    const dir = mkdtempSync(join(tmpdir(), 'mt-compare-'));
    const file = join(dir, 'xor.json');
    writeFileSync(file, JSON.stringify(paperXorInput()));
    const log = join(dir, 'log');
    const run = await startCli(['run', file, '--out', dir, '--no-report'], { METATWIN_EDGE_PHYSICS: `bridge:tcp://127.0.0.1:${port}`, METATWIN_LOG_DIR: log }).within(120_000);
    expect(run.code).toBe(0);
    const runId = (JSON.parse(readFileSync(join(dir, 'result.json'), 'utf8')) as { run: string }).run;

    const cli = await startCli(['compare', runId, '--log', log, '--json']).within(120_000);
    expect(cli.code).toBe(0);
    const nominal = JSON.parse(cli.out) as CompareReport;
    expect(nominal.onHardware).toEqual(['edge-physics']);
    const floor = nominal.noiseFloor_codes.node;
    expect(nominal.signals.networkNodes?.rms_codes).toBeGreaterThan(3 * floor);
    expect(nominal.signals.networkGates?.count).toBe(32 * 4 * nominal.overTime.length);
    const missing = await startCli(['compare', runId, '--log', log, '--chip', join(dir, 'no-chip.json')]).within(60_000);
    expect(missing.code).toBe(2);
    expect(missing.out).toMatch(/--chip: imperfections\.chip: .*must be a readable file \(ENOENT\)/);
    const text = await startCli(['compare', runId, '--log', log]).within(120_000);
    expect(text.out).toMatch(/on hardware: edge-physics/);
    expect(text.out).toMatch(/network nodes\s+\d+/);

    const files = await FileEventLog.open(log);
    const signals = await readRunSignals(files, runId);
    await files.close();
    const trueChip = compareRun(signals, { twin: chipOf });
    for (const s of ['adcNode', 'networkNodes', 'networkGates'] as const) expect(trueChip.signals[s]?.rms_codes).toBeLessThanOrEqual(floor);
    process.stdout.write(
      `compare: network-node residual RMS ${nominal.signals.networkNodes?.rms_codes.toFixed(2)} codes with the nominal twin, ${trueChip.signals.networkNodes?.rms_codes.toFixed(2)} with the board's chip (noise floor ${floor.toFixed(2)})\n`,
    );
  });
});
