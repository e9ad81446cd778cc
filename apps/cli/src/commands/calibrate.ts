import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { CalibrationError, calibrationRun, fitChip, readRunSignals, type CalibrationRun, type CopyFit } from '@metatwin/services';
import { UsageError } from '../usage';
import { openEventLog } from './event-log';

/**
 * `metatwin calibrate <run> [<run>…] --out FILE [--log DIR|nats://…]`: fit the board's per-edge
 * k and VTO (libs/services/src/calibrate.ts) to chip-calibration runs whose network ran on
 * hardware, one per gate level, and write the chip file experiments load
 * (`imperfections.chip`), `metatwin emulate --chip` and `metatwin compare --chip` too.
 */
export async function calibrateCommand(argv: string[], write: (s: string) => void): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, options: { log: { type: 'string' }, out: { type: 'string' } }, strict: true, allowPositionals: true });
  if (positionals.length === 0) throw new UsageError('calibrate needs the chip-calibration runs, one per gate level (see `metatwin runs`)');
  if (values.out === undefined) throw new UsageError('calibrate needs --out FILE, where the chip file goes');
  const log = await openEventLog(values.log);
  const runs: CalibrationRun[] = [];
  try {
    const known = new Set(await log.runIds());
    for (const runId of positionals) {
      if (!known.has(runId)) throw new UsageError(`no run "${runId}" in the log (see \`metatwin runs\`)`);
      runs.push(calibrationRun(await readRunSignals(log, runId)));
    }
  } catch (err) {
    if (err instanceof CalibrationError) throw new UsageError(err.message);
    throw err;
  } finally {
    await log.close();
  }
  for (const r of runs) write(`run ${r.run}: gates at ${r.gate_V} V, ${r.points.length} input pairs read at step 0\n`);
  let fit: ReturnType<typeof fitChip>;
  try {
    fit = fitChip(runs);
  } catch (err) {
    if (err instanceof CalibrationError) throw new UsageError(err.message);
    throw err;
  }
  writeFileSync(values.out, JSON.stringify(fit.chip, null, 2) + '\n');
  for (const [name, c] of [
    ['free', fit.free],
    ['clamped', fit.clamped],
  ] as const)
    write(c === null ? `${name} copy: no readings in these runs; the chip leaves it to the card\n` : copyLine(name, c, fit.card));
  const o = fit.offsets;
  write(
    o === null
      ? "learning-rule offsets: not fitted (no run learned after step 0); the chip leaves them to the experiment's draws\n"
      : `learning-rule offsets: fitted from ${o.samples} gate readings while learning, spread ${Math.sqrt(o.offsets_V2.reduce((a, x) => a + x * x, 0) / o.offsets_V2.length).toExponential(2)} V² RMS; read − re-driven gates ${o.residualRms_codes.toFixed(3)} ADC codes RMS\n`,
  );
  write(`a node reading's noise floor: ${fit.noiseFloor_codes.toFixed(3)} ADC codes\n`);
  write(`chip written to ${values.out}: load it with imperfections.chip: "${values.out}" in an experiment, metatwin emulate --chip, metatwin compare --chip\n`);
  return 0;
}

function copyLine(name: string, c: CopyFit, card: { vto_V: number; k_AperV2: number }): string {
  const rms = (xs: number[]): number => Math.sqrt(xs.reduce((a, x) => a + x * x, 0) / xs.length);
  const vto = c.observable.map((e) => c.vto_V[e]);
  const mean = vto.reduce((a, x) => a + x, 0) / vto.length;
  const unseen = c.unobservable.length > 0 ? `; edges ${c.unobservable.join(', ')} join two held nodes and keep the card's k and VTO` : '';
  return (
    `${name} copy: ${c.observable.length} edges fitted${unseen}; ${c.readings} node readings, residual ${c.residualRms_codes.toFixed(3)} ADC codes RMS, ${c.iterations} iterations; ` +
    `VTO mean ${(mean * 1e3).toFixed(1)} mV (the card's ${(card.vto_V * 1e3).toFixed(1)}), spread ${(rms(vto.map((v) => v - mean)) * 1e3).toFixed(1)} mV; k spread ${(rms(c.observable.map((e) => c.k_AperV2[e] / card.k_AperV2 - 1)) * 100).toFixed(2)} % about the card\n`
  );
}
