/**
 * Damage and retraining (issue 15, item 5): the paper claims the network "is robust to damage,
 * retrainable in seconds". This measures it. The experiment runs undamaged for learn_s and on
 * through the relearning window (the control: a network may drift with no damage); every edge
 * is damaged in turn on the gates at learn_s and the network read as a test step reads it (the
 * twin's own DC solve through the rig, the ADC model, the test read-out), and the edge whose
 * damage raises the MSE most is the most important one. The same experiment — deterministic
 * with its seed, so its first learn_s replays bit for bit — runs again with that edge damaged
 * from learn_s on, for relearn_s more, and its test log says how long relearning took.
 *
 * Both runs take the one run path (runEmbedded, nothing recorded, as `metatwin run --bus
 * direct`); the ranking reuses rigAt and readTest, so there is no second solver or read-out.
 */
import { isPending, stepTime_ns, type DamageEvent, type Experiment } from '@metatwin/contracts';
import { readTest, rigAt, summarise, testTask, type LogEntry, type RunResult } from '@metatwin/experiments';
import { runEmbedded } from './embedded';
import { bindPort, isSimulation } from './factory';

/** Relearned: the MSE back within this factor of its value just before the cut. */
export const RELEARNED_WITHIN = 1.25;
/** Test every this many training steps unless told: 10 ms at the paper's t_h = 100 µs, the time resolution. */
export const DEFAULT_TEST_EVERY = 100;
/** The damaged run is run again with tests 10× as often while relearning takes fewer test intervals than this. */
export const RESOLUTIONS_PER_TIME = 20;
/** A refined damaged run makes at most this many tests (each reads every datapoint through the services). */
export const MAX_TESTS_PER_RUN = 20_000;
/** Edges listed in the ranking. */
export const RANKING_LENGTH = 5;

export type DamageKind = DamageEvent['kind'];

export interface DamageRetrainOptions {
  /** Learning time before the cut (s): a whole number of test intervals. */
  readonly learn_s: number;
  /** Learning time after the cut (s). */
  readonly relearn_s: number;
  /** What happens to the edge; the ranking damages every edge the same way. Default 'open'. */
  readonly kind?: DamageKind;
  /**
   * Training steps between test steps, the resolution of every time measured. Default
   * DEFAULT_TEST_EVERY; the damaged run is refined below it when relearning is fast (RESOLUTIONS_PER_TIME).
   */
  readonly testEvery?: number;
  /** Wall clock (s) for the runs' wall_s; default none. */
  readonly clock?: () => number;
}

/** One edge damaged on the learned gates, read as a test step reads the network. */
export interface CutReading {
  readonly edge: number;
  readonly nodes: readonly [number, number];
  /** MSE over the datapoints trained on with this edge damaged (V²); null when a datapoint did not solve. */
  readonly mse_V2: number | null;
  /** mse_V2 over the undamaged network's MSE. */
  readonly rise: number | null;
}

export interface DamageRetrainResult {
  readonly kind: 'damage-retrain';
  /** The criteria used: RELEARNED_WITHIN and RESOLUTIONS_PER_TIME. */
  readonly criteria: { readonly relearnedWithin: number; readonly resolutionsPerTime: number };
  readonly name: string;
  readonly seed: number;
  readonly damage: DamageKind;
  readonly learn_s: number;
  readonly relearn_s: number;
  /**
   * Learning time between test steps (s) from the start to the relearning (refined there while
   * relearning took under RESOLUTIONS_PER_TIME of them): the resolution of the times below.
   */
  readonly resolution_s: number;
  /** Between test steps after that, to the end of the window (s). */
  readonly windowResolution_s: number;
  /** The edge damaged, and when (learning time, s). */
  readonly cut: { readonly edge: number; readonly nodes: readonly [number, number]; readonly at_s: number };
  /** The RANKING_LENGTH edges whose damage raises the MSE most, most important first. */
  readonly ranking: ReadonlyArray<CutReading>;
  readonly edgesTried: number;
  /** Edges whose damaged network did not solve (left out of the ranking). */
  readonly unsolved: ReadonlyArray<number>;
  readonly mse: {
    /** The test at learn_s of the undamaged run (V²). */
    readonly preCut_V2: number;
    /** The damaged run's first test after the cut, at learn_s on the same gates (V²). */
    readonly afterCut_V2: number;
    /** RELEARNED_WITHIN × preCut_V2: relearned at or below it. */
    readonly relearned_V2: number;
    /** The lowest after the cut, and at the end of the relearning window (V²). */
    readonly best_V2: number;
    readonly end_V2: number;
  };
  readonly relearn: {
    /** Learning time from the cut to the first test at or below mse.relearned_V2 (s); null: not within relearn_s. */
    readonly time_s: number | null;
    /** How much of the jump, in log MSE, the best test after the cut took back (1 = all of it); null when the cut did not raise the MSE. */
    readonly recoveredFraction: number | null;
    /** Whether the last test is still at or below mse.relearned_V2. */
    readonly heldAtEnd: boolean;
  };
  /** The undamaged run from the start, for comparison (s of learning time; read from the damaged run before its cut, at its resolution). */
  readonly original: {
    /** To the first test at or below mse.relearned_V2 — the same criterion as relearning. */
    readonly toRelearned_s: number | null;
    /** To the first test at or below the pre-cut MSE itself. */
    readonly toPreCut_s: number;
  };
  /**
   * The control: the undamaged run on through the same window (tested every `resolution_s`).
   * A network that drifts without damage cannot be asked to hold its pre-cut MSE with it.
   */
  readonly undamaged: { readonly best_V2: number; readonly end_V2: number; readonly heldAtEnd: boolean; readonly resolution_s: number };
  /** Two-input binary tasks (XOR): outputs on their label's side of the labels' midpoint. */
  readonly truthTable?: {
    readonly preCut: boolean;
    readonly afterCut: boolean;
    readonly end: boolean;
    /** Learning time from the cut to the first test with the table right again (s); null: never in the window. */
    readonly rightAgain_s: number | null;
    /** From the cut to the first test after rightAgain_s with the table wrong once more (s); null: it stayed right. */
    readonly wrongAgain_s: number | null;
    /** The control's at the end of the window. */
    readonly undamagedEnd: boolean;
    /** Learning time from the start to the undamaged run's first right table (s), to set rightAgain_s against. */
    readonly firstRight_s: number | null;
  };
  /**
   * Consistency of the two paths: the ranking's read-out of the undamaged and of the damaged
   * network against the runs' own tests at learn_s, and how many tests of the damaged run
   * before learn_s were compared bit for bit with the undamaged run's.
   */
  readonly check: { readonly rankedUncut_V2: number; readonly rankedCut_V2: number; readonly replayedTests: number };
  /** Each run's tests: learning time (s) and MSE (V²); the damaged run's before the cut are the undamaged run's. */
  readonly trace: { readonly damaged: Trace; readonly undamaged: Trace };
  readonly wall_s: number;
}

export interface Trace {
  readonly t_s: number[];
  readonly mse_V2: number[];
}

/** The damaged run did not replay the undamaged one: the runs are not deterministic, a bug. */
export class ReplayMismatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReplayMismatchError';
  }
}

export async function damageAndRetrain(exp: Experiment, options: DamageRetrainOptions): Promise<DamageRetrainResult> {
  const { learnSteps, relearnSteps, testEvery, kind } = damageSchedule(exp, options);
  const t_h_s = exp.schedule.t_h_s;
  const clock = options.clock ?? ((): number => 0);
  const started = clock();
  const cutAt_s = stepTime_ns(learnSteps, t_h_s) / 1e9;
  const base: Experiment = { ...exp, schedule: { ...exp.schedule, steps: learnSteps + relearnSteps, testEvery } };
  const runId = `damage-${exp.name}-seed${exp.seed}`;
  // The undamaged run goes on through the relearning window too: the control, since a network
  // may drift after learn_s without any damage (XOR does past ≈ 13 s, README "Presets").
  const control = await runEmbedded(base, { runId: `${runId}-undamaged`, clock });
  const preCut = control.log.find((e) => e.step === learnSteps);
  if (preCut === undefined) throw new ReplayMismatchError(`the undamaged run has no test at step ${learnSteps}`);

  // The gates a test at learn_s saw (exact in the log), every edge damaged in turn on them.
  const gates_V = preCut.gates_V;
  const rankedUncut_V2 = testMse(base, gates_V, learnSteps, null);
  if (rankedUncut_V2 === null) throw new Error(`the learned network of ${exp.name} does not solve at learn_s = ${cutAt_s} s`);
  const readings = rankCuts(base, gates_V, learnSteps, kind, cutAt_s, rankedUncut_V2);
  const solved = readings.filter((r) => r.mse_V2 !== null);
  if (solved.length === 0) throw new Error(`no edge of ${exp.name} can be damaged (${kind}) with the network still solving`);
  // Most important first; an equal MSE goes to the lower edge index, so the choice is reproducible.
  const ranked = [...solved].sort((x, y) => (y.mse_V2 as number) - (x.mse_V2 as number) || x.edge - y.edge);
  const chosen = ranked[0];

  const relearned_V2 = RELEARNED_WITHIN * preCut.mse;
  const event: DamageEvent = { edge: chosen.edge, kind, at_s: cutAt_s };
  const damagedRun = (every: number, steps: number): Promise<RunResult> =>
    runEmbedded(
      {
        ...base,
        schedule: { ...base.schedule, steps, testEvery: every },
        imperfections: { ...base.imperfections, damage: [...base.imperfections.damage, event] },
      },
      { runId: `${runId}-damaged-${every}`, clock },
    );
  // The damaged run over the whole window; then, while relearning took fewer than
  // RESOLUTIONS_PER_TIME test intervals, again up to that crossing with tests ten times as often
  // (a regression relearns in tens of ms, XOR in seconds: one interval for both would be too
  // coarse or too slow). Every run replays the same physics, so their tests merge into one log,
  // fine near the cut and coarse after it.
  const full = await damagedRun(testEvery, learnSteps + relearnSteps);
  let merged = full.log;
  let every = testEvery;
  for (;;) {
    const back = merged.find((e) => e.step >= learnSteps && e.mse <= relearned_V2);
    const steps = back === undefined ? 0 : back.step - learnSteps;
    const finer = every % 10 === 0 ? every / 10 : 1;
    if (every === 1 || steps === 0 || steps >= RESOLUTIONS_PER_TIME * every || (back as LogEntry).step / finer > MAX_TESTS_PER_RUN) break;
    every = finer;
    merged = mergeLogs(merged, (await damagedRun(every, (back as LogEntry).step)).log);
  }
  const replayedTests = checkReplay(control.log, merged, learnSteps);
  // Before the cut the damaged run is the undamaged one (checked), tested at least as often.
  const before = merged.filter((e) => e.step < learnSteps).concat([preCut]);
  const post = merged.filter((e) => e.step >= learnSteps);
  const controlPost = control.log.filter((e) => e.step > learnSteps);
  const sinceCut = (e: LogEntry | undefined): number | null => (e === undefined ? null : stepTime_ns(e.step - learnSteps, t_h_s) / 1e9);
  const afterCut = post[0];
  const end = post[post.length - 1];
  const controlEnd = control.log[control.log.length - 1];
  const lowest = (log: LogEntry[]): number => log.reduce((m, e) => Math.min(m, e.mse), Infinity);
  const best_V2 = lowest(post);

  const right = truthTableOf(control);
  const rightAgain = post.findIndex((e) => right(e) === true);
  const truthTable =
    right(preCut) === undefined
      ? undefined
      : {
          preCut: right(preCut) === true,
          afterCut: right(afterCut) === true,
          end: right(end) === true,
          rightAgain_s: sinceCut(post[rightAgain]),
          wrongAgain_s: rightAgain < 0 ? null : sinceCut(post.slice(rightAgain).find((e) => right(e) === false)),
          undamagedEnd: right(controlEnd) === true,
          firstRight_s: before.find((e) => right(e) === true)?.t_s ?? null,
        };
  const traceOf = (log: LogEntry[]): { t_s: number[]; mse_V2: number[] } => ({ t_s: log.map((e) => e.t_s), mse_V2: log.map((e) => e.mse) });
  return {
    kind: 'damage-retrain',
    criteria: { relearnedWithin: RELEARNED_WITHIN, resolutionsPerTime: RESOLUTIONS_PER_TIME },
    name: exp.name,
    seed: exp.seed,
    damage: kind,
    learn_s: cutAt_s,
    relearn_s: stepTime_ns(relearnSteps, t_h_s) / 1e9,
    resolution_s: stepTime_ns(every, t_h_s) / 1e9,
    windowResolution_s: stepTime_ns(testEvery, t_h_s) / 1e9,
    cut: { edge: chosen.edge, nodes: chosen.nodes, at_s: cutAt_s },
    ranking: ranked.slice(0, RANKING_LENGTH),
    edgesTried: readings.length,
    unsolved: readings.filter((r) => r.mse_V2 === null).map((r) => r.edge),
    mse: { preCut_V2: preCut.mse, afterCut_V2: afterCut.mse, relearned_V2, best_V2, end_V2: end.mse },
    relearn: {
      time_s: sinceCut(post.find((e) => e.mse <= relearned_V2)),
      // In log space, since the MSE falls roughly exponentially: 0.5 means half the decades lost are back.
      recoveredFraction: afterCut.mse > preCut.mse ? Math.log(afterCut.mse / best_V2) / Math.log(afterCut.mse / preCut.mse) : null,
      heldAtEnd: end.mse <= relearned_V2,
    },
    original: {
      toRelearned_s: before.find((e) => e.mse <= relearned_V2)?.t_s ?? null,
      toPreCut_s: (before.find((e) => e.mse <= preCut.mse) as LogEntry).t_s,
    },
    undamaged: { best_V2: lowest(controlPost), end_V2: controlEnd.mse, heldAtEnd: controlEnd.mse <= relearned_V2, resolution_s: stepTime_ns(testEvery, t_h_s) / 1e9 },
    ...(truthTable === undefined ? {} : { truthTable }),
    check: { rankedUncut_V2, rankedCut_V2: chosen.mse_V2 as number, replayedTests },
    trace: { damaged: traceOf(merged), undamaged: traceOf(control.log) },
    wall_s: clock() - started,
  };
}

/**
 * The MSE a test step after `steps` training steps would read at `gates_V`, with `damage`
 * (if any) applied on top of the experiment's own: the rig the final figures and replay use,
 * cold solves (a test's warm start only speeds Newton to the same solution), the ADC model and
 * the test read-out the run fold uses. Null when a datapoint does not solve.
 */
export function testMse(exp: Experiment, gates_V: ArrayLike<number>, steps: number, damage: DamageEvent | null): number | null {
  const withDamage: Experiment = damage === null ? exp : { ...exp, imperfections: { ...exp.imperfections, damage: [...exp.imperfections.damage, damage] } };
  const rig = rigAt(withDamage, gates_V, steps);
  const task = testTask(exp, rig);
  // The measurement subsystem's own model, built by the factory as a run builds it.
  const adc = bindPort('measurement', exp, 'sim').port;
  const t_ns = stepTime_ns(steps, exp.schedule.t_h_s);
  const perPoint = rig.outputNodes.length;
  const codes = new Float64Array(rig.held_V.length * perPoint);
  const out = new Float64Array(perPoint);
  for (let d = 0; d < rig.held_V.length; d++) {
    rig.twin.selectSlot(d);
    if (rig.twin.infer(rig.held_V[d], out).status !== 'converged') return null;
    // The node path only: the gate the demux also presents does not change the node's code.
    for (let i = 0; i < perPoint; i++) {
      const sampled = adc.sample(t_ns, { step: steps, datapoint: d, address: task.addresses[i] }, { node_V: out[i], gate_V: 0 });
      if (isPending(sampled)) throw new Error('the simulated ADC answers at once');
      codes[d * perPoint + i] = sampled.nodeCode;
    }
  }
  return readTest(task, (d, address) => codes[d * perPoint + task.addresses.indexOf(address)], `${exp.name} at step ${steps}`).mse;
}

/** Every edge damaged in turn on the learned gates (damage due at cutAt_s, the test's time). */
function rankCuts(exp: Experiment, gates_V: ArrayLike<number>, steps: number, kind: DamageKind, cutAt_s: number, uncut_V2: number): CutReading[] {
  const { network } = rigAt(exp, gates_V, steps);
  return Array.from({ length: network.edgeCount }, (_, edge) => {
    const mse_V2 = testMse(exp, gates_V, steps, { edge, kind, at_s: cutAt_s });
    return { edge, nodes: [network.edgeA[edge], network.edgeB[edge]] as const, mse_V2, rise: mse_V2 === null ? null : mse_V2 / uncut_V2 };
  });
}

/**
 * The damaged run must be the undamaged one up to the cut: every test before learn_s the same
 * bit for bit, and the same gates at learn_s (its test there already sees the damage). Returns
 * how many tests were compared.
 */
function checkReplay(undamaged: ReadonlyArray<LogEntry>, damaged: ReadonlyArray<LogEntry>, learnSteps: number): number {
  const byStep = new Map(damaged.map((e) => [e.step, e]));
  let compared = 0;
  for (const e of undamaged) {
    if (e.step > learnSteps) break;
    compared++;
    const d = byStep.get(e.step);
    if (d === undefined) throw new ReplayMismatchError(`the damaged run has no test at step ${e.step}`);
    const same = e.step < learnSteps ? d.mse === e.mse && d.outputs.every((o, i) => o === e.outputs[i]) : d.gates_V.every((g, i) => g === e.gates_V[i]);
    if (!same)
      throw new ReplayMismatchError(`the damaged run differs from the undamaged one at step ${e.step} (before the cut at step ${learnSteps}): MSE ${d.mse} against ${e.mse}`);
  }
  return compared;
}

/** Two runs' tests as one log by step; runs of one experiment agree wherever both tested (checked). */
function mergeLogs(a: ReadonlyArray<LogEntry>, b: ReadonlyArray<LogEntry>): LogEntry[] {
  const byStep = new Map(a.map((e) => [e.step, e]));
  for (const e of b) {
    const other = byStep.get(e.step);
    if (other !== undefined && other.mse !== e.mse) throw new ReplayMismatchError(`two damaged runs differ at step ${e.step}: MSE ${other.mse} against ${e.mse}`);
    byStep.set(e.step, e);
  }
  return [...byStep.values()].sort((x, y) => x.step - y.step);
}

/** Per test, whether a two-input binary task's truth table is right (undefined for other tasks), as the run summary decides it. */
function truthTableOf(run: RunResult): (e: LogEntry) => boolean | undefined {
  const outputs = run.labels.length / run.inputs.length;
  return (e) => summarise([e], run.modeNames, run.inputs, run.labels, outputs).truthTableCorrect;
}

/**
 * The options checked against the experiment, as training steps: throws a RangeError naming the
 * bad option (learn_s, relearn_s, kind, testEvery) or the rig, before anything runs.
 */
export function damageSchedule(exp: Experiment, o: DamageRetrainOptions): { learnSteps: number; relearnSteps: number; testEvery: number; kind: DamageKind } {
  const kind = o.kind ?? 'open';
  if (kind !== 'open' && kind !== 'short') throw new RangeError(`kind must be "open" or "short", got ${JSON.stringify(kind)}`);
  const testEvery = o.testEvery ?? DEFAULT_TEST_EVERY;
  if (!Number.isInteger(testEvery) || testEvery < 1) throw new RangeError(`testEvery must be an integer ≥ 1 (training steps), got ${testEvery}`);
  const unsimulated = Object.entries(exp.rig).filter(([, adapter]) => !isSimulation(adapter));
  if (unsimulated.length > 0)
    throw new RangeError(
      `damage retraining ranks edges on the simulated network, so every subsystem must run on 'sim'; got ${unsimulated.map(([s, a]) => `${s}: ${a}`).join(', ')}`,
    );
  const t_h_s = exp.schedule.t_h_s;
  const interval_s = stepTime_ns(testEvery, t_h_s) / 1e9;
  const stepsOf = (name: string, t_s: number): number => {
    if (!Number.isFinite(t_s) || !(t_s > 0)) throw new RangeError(`${name} must be a learning time > 0 s, got ${t_s}`);
    const steps = Math.round(t_s / t_h_s);
    // The cut falls on a test step, so the test before it and the first after it are both exactly at it.
    if (steps < 1 || Math.abs(steps * t_h_s - t_s) > 1e-6 * t_h_s || (name === 'learn_s' && steps % testEvery !== 0))
      throw new RangeError(`${name} must be a whole number of ${name === 'learn_s' ? `test intervals (${interval_s} s)` : `steps (t_h = ${t_h_s} s)`}, got ${t_s}`);
    return steps;
  };
  return { learnSteps: stepsOf('learn_s', o.learn_s), relearnSteps: stepsOf('relearn_s', o.relearn_s), testEvery, kind };
}
