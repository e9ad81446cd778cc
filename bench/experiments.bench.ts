/**
 * Experiment benchmarks: the full `xor` preset (100,000 steps with its test steps) through
 * the four subsystems' deciders and simulation adapters on the in-process bus, recording off
 * (`--bus direct`), against the bare physics step loop of the same experiment — the twin's
 * trainStep in a tight loop, no signals — measured in the same process; and how many of
 * seeds 1–10 learn by the task's criterion.
 */
import { clampCircuit } from '@metatwin/clamping';
import { trainingPointCount } from '@metatwin/contracts';
import { twinOf } from '@metatwin/edge-physics';
import { buildRig, planFromInput, presetInput, type Experiment, type RunResult } from '@metatwin/experiments';
import { runEmbedded } from '@metatwin/services';
import { datapointAt } from '@metatwin/supervisor';

const ctx = {
  readText: (): string => {
    throw new Error('presets read no files');
  },
};

export function presetExperiment(name: 'xor' | 'regression', seed?: number): Experiment {
  const plan = planFromInput(presetInput(name), seed === undefined ? {} : { seed }, ctx);
  if (plan.kind !== 'run') throw new Error(`${name} is not a single run`);
  return plan.experiment;
}

/** The xor preset for `steps` steps, with some subsystems' adapters chosen (the benchmarks' common run). */
export function xorExperiment(steps: number, rig: Partial<Experiment['rig']> = {}): Experiment {
  const plan = planFromInput(presetInput('xor'), { steps }, ctx);
  if (plan.kind !== 'run') throw new Error('xor is a single run');
  return { ...plan.experiment, rig: { ...plan.experiment.rig, ...rig } };
}

export async function runPreset(name: 'xor' | 'regression', seed?: number): Promise<RunResult> {
  const exp = presetExperiment(name, seed);
  return runEmbedded(exp, { runId: `bench-${name}-${seed ?? exp.seed}`, clock: () => performance.now() / 1000 });
}

/** The physics alone: every training step of the experiment as trainStep calls on its twin (no tests, no signals). */
export function bareStepLoop(exp: Experiment): { readonly steps: number; readonly wall_s: number } {
  const twin = twinOf(exp);
  const rig = buildRig(exp);
  const clamp = clampCircuit(exp.clamp);
  const k = rig.outputs;
  const labels = new Float64Array(k);
  const training = trainingPointCount(exp.dataset);
  const { steps, t_h_s, substeps } = exp.schedule;
  const t0 = performance.now();
  for (let step = 0; step < steps; step++) {
    const d = datapointAt(exp.schedule, exp.seed, step, training);
    twin.selectSlot(d);
    for (let o = 0; o < k; o++) labels[o] = rig.labels_V[d * k + o];
    twin.learnEnabled = true;
    const r = twin.trainStep(rig.held_V[d], labels, clamp, t_h_s, substeps);
    if (!r.ok) throw new Error(`bare loop step ${step}: ${r.failed?.copy} solve ${r.failed?.result.status}`);
  }
  return { steps, wall_s: (performance.now() - t0) / 1000 };
}

export interface SeedSweep {
  readonly learned: number;
  readonly total: number;
  readonly rows: string[];
}

export async function seedSweep(name: 'xor' | 'regression', seeds: number[]): Promise<SeedSweep> {
  const rows: string[] = [];
  let learned = 0;
  for (const seed of seeds) {
    const r = await runPreset(name, seed);
    const s = r.summary;
    if (s.learned) learned++;
    const halves = r.modeNames.map((n) => `${n} ${s.modeHalfTimes_s[n] === null ? '—' : (s.modeHalfTimes_s[n] as number).toFixed(2)}`).join(' ');
    rows.push(
      `seed ${String(seed).padStart(2)}: MSE ${s.mseStart.toExponential(2)} → ${s.mseEnd.toExponential(2)} (×${s.mseFall.toFixed(1)}), truth table ${s.truthTableCorrect === undefined ? 'n/a' : s.truthTableCorrect ? 'ok' : 'WRONG'}, half-times [s] ${halves}, order ${s.modesInOrder ? 'ok' : 'WRONG'} → ${s.learned ? 'learned' : 'not learned'}`,
    );
  }
  return { learned, total: seeds.length, rows };
}
