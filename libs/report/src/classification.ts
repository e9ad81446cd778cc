/**
 * Figure 2 of a multi-output task (classification, one output per class): the accuracy on
 * the datapoints trained on and on those held out against learning time, and the final
 * test's confusion matrix of each set (rows the true class, columns the class read: the
 * highest output).
 */
import { outputCount, trainingPointCount } from '@metatwin/contracts';
import { confusionMatrix, type RunResult } from '@metatwin/experiments';
import type { TopLevelSpec } from 'vega-lite';
import { learningTimeScale } from './sampling';
import { timeTicks } from './mse-modes';

export const TRAINED_ON = 'trained on';
export const HELD_OUT = 'held out';

export interface AccuracyRow {
  readonly t_s: number;
  readonly set: string;
  readonly accuracy: number;
}

export interface ConfusionCell {
  readonly set: string;
  readonly truth: string;
  readonly read: string;
  readonly count: number;
  /** count over the true class's datapoints in the set: the colour. */
  readonly fraction: number;
}

export function classNames(run: RunResult): string[] {
  const k = outputCount(run.experiment);
  return run.experiment.dataset.classNames?.slice() ?? Array.from({ length: k }, (_, o) => `output ${o + 1}`);
}

export function accuracyRows(run: RunResult): AccuracyRow[] {
  return run.log.flatMap((e) => [
    ...(e.accuracy === undefined ? [] : [{ t_s: e.t_s, set: TRAINED_ON, accuracy: e.accuracy }]),
    ...(e.heldOutAccuracy === undefined ? [] : [{ t_s: e.t_s, set: HELD_OUT, accuracy: e.heldOutAccuracy }]),
  ]);
}

export function confusionCells(run: RunResult): ConfusionCell[] {
  const k = outputCount(run.experiment);
  const names = classNames(run);
  const trained = trainingPointCount(run.experiment.dataset);
  const total = run.inputs.length;
  const last = run.log[run.log.length - 1].outputs;
  const sets: Array<[string, number, number]> = [[TRAINED_ON, 0, trained], ...(trained < total ? [[HELD_OUT, trained, total] as [string, number, number]] : [])];
  return sets.flatMap(([set, from, to]) =>
    confusionMatrix(last, run.labels, k, from, to).flatMap((row, t) => {
      const members = row.reduce((a, b) => a + b, 0);
      return row.map((count, r) => ({ set, truth: names[t], read: names[r], count, fraction: members > 0 ? count / members : 0 }));
    }),
  );
}

export function classificationSpec(run: RunResult): TopLevelSpec {
  const names = classNames(run);
  const sets = [...new Set(accuracyRows(run).map((r) => r.set))];
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    datasets: { accuracy: accuracyRows(run), confusion: confusionCells(run) },
    hconcat: [
      {
        width: 360,
        height: 260,
        data: { name: 'accuracy' },
        mark: { type: 'line', point: true, strokeWidth: 2 },
        encoding: {
          x: { field: 't_s', type: 'quantitative', scale: learningTimeScale(run.log), title: 'learning time (s)', axis: { values: timeTicks(run.log), grid: false, format: '~r' } },
          y: { field: 'accuracy', type: 'quantitative', scale: { domain: [0, 1] }, title: 'accuracy (highest output is the class)', axis: { format: '.0%' } },
          color: { field: 'set', type: 'nominal', scale: { domain: sets, range: ['#000000', '#8c8c8c'] }, legend: { title: null, orient: 'bottom' } },
        },
      },
      {
        data: { name: 'confusion' },
        facet: { column: { field: 'set', type: 'nominal', title: 'final test', sort: [TRAINED_ON, HELD_OUT] } },
        spec: {
          width: 40 * names.length,
          height: 40 * names.length,
          layer: [
            {
              mark: 'rect',
              encoding: {
                x: { field: 'read', type: 'nominal', sort: names, title: 'class read' },
                y: { field: 'truth', type: 'nominal', sort: names, title: 'true class' },
                color: { field: 'fraction', type: 'quantitative', scale: { domain: [0, 1], scheme: 'greys' }, legend: null },
              },
            },
            {
              mark: { type: 'text', fontSize: 12 },
              encoding: {
                x: { field: 'read', type: 'nominal', sort: names },
                y: { field: 'truth', type: 'nominal', sort: names },
                text: { field: 'count', type: 'quantitative' },
                color: { condition: { test: 'datum.fraction > 0.5', value: 'white' }, value: 'black' },
              },
            },
          ],
        },
      },
    ],
  };
}
