/**
 * Experiment benchmarks (issue 3): wall time of the full `xor` preset (100,000 steps,
 * with its test steps and logging) and how many of seeds 1–10 learn by the task's criterion.
 */
import { planFromInput, presetInput, runExperiment, type RunResult } from '@metatwin/experiments';

const ctx = { readText: (): string => { throw new Error('presets read no files'); } };

export function runPreset(name: 'xor' | 'regression', seed?: number): RunResult {
  const plan = planFromInput(presetInput(name), seed === undefined ? {} : { seed }, ctx);
  if (plan.kind !== 'run') throw new Error(`${name} is not a single run`);
  return runExperiment(plan.experiment, { clock: () => performance.now() / 1000 });
}

export interface SeedSweep {
  readonly learned: number;
  readonly total: number;
  readonly rows: string[];
}

export function seedSweep(name: 'xor' | 'regression', seeds: number[]): SeedSweep {
  const rows: string[] = [];
  let learned = 0;
  for (const seed of seeds) {
    const r = runPreset(name, seed);
    const s = r.summary;
    if (s.learned) learned++;
    const halves = r.modeNames.map((n) => `${n} ${s.modeHalfTimes_s[n] === null ? '—' : (s.modeHalfTimes_s[n] as number).toFixed(2)}`).join(' ');
    rows.push(`seed ${String(seed).padStart(2)}: MSE ${s.mseStart.toExponential(2)} → ${s.mseEnd.toExponential(2)} (×${s.mseFall.toFixed(1)}), truth table ${s.truthTableCorrect === undefined ? 'n/a' : s.truthTableCorrect ? 'ok' : 'WRONG'}, half-times [s] ${halves}, order ${s.modesInOrder ? 'ok' : 'WRONG'} → ${s.learned ? 'learned' : 'not learned'}`);
  }
  return { learned, total: seeds.length, rows };
}
