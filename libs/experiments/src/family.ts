/** A family of runs from the same initial state (paper Fig. 5), run one after another. */
import type { Experiment } from './experiment';
import type { FamilyResult } from './result';
import { runExperiment, type RunOptions } from './runner';

export function runFamily(name: string, experiments: Experiment[], options: RunOptions & { onTask?: (index: number, total: number, name: string) => void } = {}): FamilyResult {
  const clock = options.clock ?? (() => 0);
  const started = clock();
  const tasks = experiments.map((exp, i) => {
    options.onTask?.(i, experiments.length, exp.name);
    return runExperiment(exp, options);
  });
  return { kind: 'family', name, seed: experiments[0]?.seed ?? 0, wall_s: clock() - started, tasks, inOrder: tasks.filter((t) => t.summary.modesInOrder).length };
}
