import { parseArgs } from 'node:util';
import type { ChipSpec, Experiment } from '@metatwin/contracts';
import { boardRefusal } from '@metatwin/bridges';
import { networkOf } from '@metatwin/edge-physics';
import { fileReader, parseChip } from '@metatwin/experiments';
import { BoardEmulator, EmulatedBoard, type FaultRates } from '@metatwin/emulator';
import { UsageError } from '../usage';
import { resolvePlan } from './run';

/** A chip file (`metatwin calibrate --out`), checked: a bad one is named with its field. */
function chipFile(path: string, edges: number): ChipSpec {
  try {
    return parseChip(path, edges, { readText: fileReader(process.cwd()) });
  } catch (err) {
    throw new UsageError(`--chip: ${(err as Error).message}`);
  }
}

/** A number from a flag within [min, max], or the default; a bad one is named. */
function numberFlag(flag: string, v: string | undefined, fallback: number, min: number, max: number, integer = false): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n)))
    throw new UsageError(`--${flag} must be ${integer ? 'an integer' : 'a number'} in ${min}..${max}, got "${v}"`);
  return n;
}

/**
 * `metatwin emulate <preset|file> (--tcp PORT | --pty) [chip] [faults]`: the board emulator —
 * the experiment's network, clamp, DACs, demux and ADC behind the I/O-controller protocol
 * (docs/protocol.md), on a TCP port or the far end of a socat pseudo-terminal pair. Its hidden
 * chip is the experiment with per-edge mismatch and learning-rule offsets drawn from
 * --chip-seed, or a chip file's own per-edge k and VTO (--chip); faults are injected per frame. Learn pulses last their duration in wall time,
 * as on the board (--fast computes them at once). Runs until Ctrl-C.
 */
export async function emulateCommand(argv: string[], write: (s: string) => void): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      tcp: { type: 'string' },
      pty: { type: 'boolean' },
      chip: { type: 'string' },
      'chip-seed': { type: 'string' },
      'vto-sigma': { type: 'string' },
      'k-sigma': { type: 'string' },
      'offset-sigma': { type: 'string' },
      noise: { type: 'string' },
      latency: { type: 'string' },
      drop: { type: 'string' },
      corrupt: { type: 'string' },
      duplicate: { type: 'string' },
      reorder: { type: 'string' },
      'fail-safe': { type: 'string' },
      fast: { type: 'boolean' },
    },
    strict: true,
  });
  if (positionals.length !== 1) throw new UsageError('emulate takes one preset or experiment file (the board it emulates), e.g. metatwin emulate xor --tcp 7700');
  if ((values.tcp === undefined) === (values.pty === undefined)) throw new UsageError('give one of --tcp PORT or --pty');
  const plan = resolvePlan(positionals[0], {});
  if (plan.kind !== 'run') throw new UsageError(`${positionals[0]} is a family of experiments; the emulator is one board: pick one experiment`);
  // The emulated board is the paper's: what no bridge could drive on it, it does not emulate.
  const refusal = boardRefusal('clamping', plan.experiment);
  if (refusal !== null) throw new UsageError(`${positionals[0]} does not fit the board: ${refusal}`);
  const chipSeed = numberFlag('chip-seed', values['chip-seed'], 1, 0, 2 ** 31 - 1, true);
  if (values.chip !== undefined && values['chip-seed'] !== undefined) throw new UsageError('give one of --chip FILE or --chip-seed N: a chip file is the chip');
  const exp: Experiment = {
    ...plan.experiment,
    seed: chipSeed,
    imperfections: {
      ...plan.experiment.imperfections,
      ...(values.chip === undefined ? {} : { chip: chipFile(values.chip, networkOf(plan.experiment.network).edgeCount) }),
      mismatch: { vtoSigma_V: numberFlag('vto-sigma', values['vto-sigma'], 0.01, 0, 1), kpRelSigma: numberFlag('k-sigma', values['k-sigma'], 0.005, 0, 1) },
      learningOffsetSigma_V2: numberFlag('offset-sigma', values['offset-sigma'], 0, 0, 1),
      readoutNoiseSigma_V: numberFlag('noise', values.noise, 0, 0, 1),
    },
  };
  const faults: FaultRates = {
    drop: numberFlag('drop', values.drop, 0, 0, 1),
    corrupt: numberFlag('corrupt', values.corrupt, 0, 0, 1),
    duplicate: numberFlag('duplicate', values.duplicate, 0, 0, 1),
    reorder: numberFlag('reorder', values.reorder, 0, 0, 1),
  };
  // A board keeps hardware time: each learn pulse lasts its duration (--fast: computed at once).
  const emulator = new BoardEmulator(new EmulatedBoard(exp, !values.fast), {
    faults,
    faultSeed: chipSeed,
    latency_ms: numberFlag('latency', values.latency, 0, 0, 10_000),
    failSafe_ms: numberFlag('fail-safe', values['fail-safe'], 500, 1, 3_600_000),
  });
  const where = values.tcp !== undefined ? `tcp://127.0.0.1:${await emulator.listenTcp(numberFlag('tcp', values.tcp, 0, 0, 65_535, true))}` : await emulator.openPty();
  write(`metatwin emulate: the ${exp.name} board (chip seed ${chipSeed}) answers on ${where} (protocol 1, docs/protocol.md); Ctrl-C stops it\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await emulator.close();
  const s = emulator.session.stats;
  write(`metatwin emulate: stopped after ${s.applied} commands (${s.repeated} answered again, ${s.dropped} frames dropped for CRC or size, ${s.failSafes} fail-safes)\n`);
  return 0;
}
