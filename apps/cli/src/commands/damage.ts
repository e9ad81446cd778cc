import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ExperimentError, type Plan } from '@metatwin/experiments';
import { RunFailedError, damageAndRetrain, damageSchedule, type DamageRetrainOptions, type DamageRetrainResult } from '@metatwin/services';
import { UsageError } from '../usage';
import { makeOutDir } from './outputs';
import { resolvePlan } from './run';

/** Relearning window when --relearn is not given (s of learning time). */
const DEFAULT_RELEARN_S = 10;

/**
 * `metatwin damage <preset|file> [--learn S] [--relearn S] [--kind open|short] [--seed N]
 * [--test-every STEPS] [--json] [--out DIR]`: learn, damage the most important edge, relearn
 * (libs/services/src/damage-retrain.ts), and say how long relearning took against the
 * original learning. --learn defaults to the experiment's own learning time.
 */
export async function damageCommand(argv: string[], write: (s: string) => void): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      learn: { type: 'string' },
      relearn: { type: 'string' },
      kind: { type: 'string' },
      seed: { type: 'string' },
      'test-every': { type: 'string' },
      json: { type: 'boolean' },
      out: { type: 'string' },
    },
    strict: true,
    allowPositionals: true,
  });
  if (positionals.length !== 1) throw new UsageError('damage needs exactly one preset name or experiment file');
  const kind = values.kind ?? 'open';
  if (kind !== 'open' && kind !== 'short') throw new UsageError(`--kind must be "open" or "short", got "${kind}"`);
  const seed = numberArg('--seed', values.seed, { integer: true, zero: true });
  const learn_s = numberArg('--learn', values.learn, { integer: false, zero: false });
  const relearn_s = numberArg('--relearn', values.relearn, { integer: false, zero: false }) ?? DEFAULT_RELEARN_S;
  const testEvery = numberArg('--test-every', values['test-every'], { integer: true, zero: false });

  let plan: Plan;
  try {
    plan = resolvePlan(positionals[0], seed === undefined ? {} : { seed });
  } catch (err) {
    if (err instanceof ExperimentError) throw new UsageError(`${positionals[0]}: ${err.message}`);
    throw err;
  }
  if (plan.kind !== 'run') throw new UsageError(`${positionals[0]} is a family of ${plan.experiments.length} tasks: damage retraining takes one experiment`);
  const exp = plan.experiment;
  const options: DamageRetrainOptions = {
    learn_s: learn_s ?? (exp.schedule.steps * Math.round(exp.schedule.t_h_s * 1e9)) / 1e9,
    relearn_s,
    kind,
    ...(testEvery === undefined ? {} : { testEvery }),
    clock: () => performance.now() / 1000,
  };
  try {
    damageSchedule(exp, options);
  } catch (err) {
    if (err instanceof RangeError) throw new UsageError(asFlags(err.message, learn_s !== undefined));
    throw err;
  }
  const outDir = values.out === undefined ? null : makeOutDir(resolve(values.out));
  let result: DamageRetrainResult;
  try {
    result = await damageAndRetrain(exp, options);
  } catch (err) {
    // A solve that failed mid-run (exit 1, as for `metatwin run`): the damaged network may not solve.
    if (err instanceof RunFailedError) {
      write(`damage retraining stopped: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
  write(values.json ? JSON.stringify(result) + '\n' : summaryText(result));
  if (outDir !== null) {
    const path = join(outDir, 'damage.json');
    writeFileSync(path, JSON.stringify(result) + '\n');
    if (!values.json) write(`\nresult: ${path}\n`);
  }
  return 0;
}

/** A flag's number, or undefined when the flag is absent; anything else is named (exit 2). */
function numberArg(flag: string, v: string | undefined, allow: { integer: boolean; zero: boolean }): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n < 0 || (!allow.zero && n === 0) || (allow.integer && !Number.isInteger(n)))
    throw new UsageError(`${flag} must be ${allow.integer ? 'an integer' : 'a number of seconds'} ${allow.zero ? '≥ 0' : '> 0'}, got "${v}"`);
  return n;
}

/** The library names its options (learn_s, …); the user typed flags, or left --learn to its default. */
function asFlags(message: string, learnGiven: boolean): string {
  const flags: Record<string, string> = {
    learn_s: learnGiven ? '--learn' : "the experiment's learning time (the default of --learn)",
    relearn_s: '--relearn',
    kind: '--kind',
    testEvery: '--test-every',
  };
  const [first] = message.split(' ');
  return first in flags ? flags[first] + message.slice(first.length) : message;
}

const v2 = (x: number): string => `${x.toExponential(2)} V²`;
const sec = (x: number | null, resolution_s: number): string => (x === null ? 'never' : `${x.toFixed(Math.max(0, -Math.floor(Math.log10(resolution_s))))} s`);

/** What a person wants to read: the edge cut, the MSE around the cut, and relearning against learning. */
export function summaryText(r: DamageRetrainResult): string {
  const res = r.resolution_s;
  const lines = [
    `${r.name} (seed ${r.seed}): learned ${r.learn_s} s, then the most important edge ${r.damage === 'open' ? 'cut open' : 'shorted'}, relearning for ${r.relearn_s} s`,
    r.windowResolution_s === res
      ? `tests every ${res} s of learning time (the resolution of the times below)`
      : `tests every ${res} s of learning time up to the relearning (the resolution of the times below), every ${r.windowResolution_s} s after it`,
    '',
    `most important edges (MSE with the edge ${r.damage}, of ${r.edgesTried} tried; ${v2(r.mse.preCut_V2)} intact):`,
    ...r.ranking.map(
      (c) =>
        `  edge ${String(c.edge).padStart(3)}  nodes ${c.nodes[0]}–${c.nodes[1]}  ${v2(c.mse_V2 as number)}  ×${(c.rise as number).toFixed(1)}${c.edge === r.cut.edge ? '   ← cut' : ''}`,
    ),
    ...(r.unsolved.length > 0 ? [`  (did not solve with the edge ${r.damage}: ${r.unsolved.join(', ')})`] : []),
    '',
    `MSE before the cut  ${v2(r.mse.preCut_V2)}`,
    `right after it      ${v2(r.mse.afterCut_V2)}  (×${(r.mse.afterCut_V2 / r.mse.preCut_V2).toFixed(1)})`,
    `best after it       ${v2(r.mse.best_V2)}`,
    `at the end          ${v2(r.mse.end_V2)}   (undamaged run at the end: ${v2(r.undamaged.end_V2)})`,
    '',
    r.relearn.time_s === null
      ? `not relearned in ${r.relearn_s} s (MSE never back within ${r.criteria.relearnedWithin}× of before the cut); best recovered ${pct(r.relearn.recoveredFraction)} of the jump (log MSE)`
      : `relearned (MSE within ${r.criteria.relearnedWithin}× of before the cut) ${sec(r.relearn.time_s, res)} after the cut${r.relearn.heldAtEnd ? '' : ', but not held to the end'}`,
    `the undamaged run first got there ${sec(r.original.toRelearned_s, res)} from the start (and to the pre-cut MSE itself at ${sec(r.original.toPreCut_s, res)})`,
  ];
  // Refining stops at MAX_TESTS_PER_RUN tests per run: a relearning over few intervals is only roughly timed.
  if (r.relearn.time_s !== null && r.relearn.time_s > 0 && r.relearn.time_s < r.criteria.resolutionsPerTime * res)
    lines.push(`(only ${Math.round(r.relearn.time_s / res)} test intervals: a shorter --learn allows finer tests)`);
  if (r.relearn.time_s !== null && r.original.toRelearned_s !== null && r.original.toRelearned_s > 0)
    lines.push(`relearning took ${pct(r.relearn.time_s / r.original.toRelearned_s)} of the original learning time`);
  if (!r.undamaged.heldAtEnd) lines.push(`note: the undamaged run itself ends above ${r.criteria.relearnedWithin}× its MSE at the cut (it drifts without damage)`);
  const t = r.truthTable;
  if (t !== undefined)
    lines.push(
      `truth table: ${right(t.preCut)} before the cut, ${right(t.afterCut)} right after it, ${t.rightAgain_s === null ? 'never right again' : `right again ${sec(t.rightAgain_s, res)} after it`}${t.wrongAgain_s === null ? '' : `, wrong again ${sec(t.wrongAgain_s, res)} after it`}, ${right(t.end)} at the end (undamaged run: first right at ${sec(t.firstRight_s, res)}, ${right(t.undamagedEnd)} at the end)`,
    );
  return lines.join('\n') + '\n';
}

const pct = (x: number | null): string => (x === null ? '—' : `${(100 * x).toFixed(0)} %`);
const right = (ok: boolean): string => (ok ? 'right' : 'wrong');
