/** The summary of a run's test log: MSE fall, mode half-times and order, truth table or accuracy, learned. */
import { fallOrder, fellFirstAndLast, fellInSequence, modeHalfTimes, presentModes } from '@metatwin/analysis';
import type { LogEntry, RunSummary } from './result';

/** A classification has learned when it sorts at least this fraction of its training datapoints (argmax). */
export const CLASSIFICATION_LEARNED_ACCURACY = 0.9;

export function summarise(log: LogEntry[], names: string[], inputs: number[][], labels: number[], outputs = 1): RunSummary {
  if (outputs > 1) return summariseClassification(log, outputs);
  const mseStart = log[0].mse;
  const mseEnd = log[log.length - 1].mse;
  const halfTimes = modeHalfTimes(log, names);
  const present = presentModes(log, names);
  const twoInputs = inputs[0].length === 2;
  const modesInOrder = twoInputs ? fellFirstAndLast(halfTimes, 'E00', 'E11', present) : fellInSequence(halfTimes, names.slice(0, 3), present);
  const fall = mseEnd > 0 ? mseStart / mseEnd : Infinity;
  let truthTableCorrect: boolean | undefined;
  const classes = [...new Set(labels)];
  if (twoInputs && classes.length === 2) {
    // Each output must sit on its own label's side of the midpoint between the two labels.
    const mid = (classes[0] + classes[1]) / 2;
    const outputs = log[log.length - 1].outputs;
    truthTableCorrect = outputs.every((o, d) => Math.sign(o - mid) === Math.sign(labels[d] - mid));
  }
  const learned = fall >= 10 && modesInOrder && truthTableCorrect !== false;
  return {
    mseStart,
    mseEnd,
    mseFall: fall,
    modeHalfTimes_s: halfTimes,
    modeOrder: fallOrder(halfTimes, names),
    modesInOrder,
    ...(truthTableCorrect === undefined ? {} : { truthTableCorrect }),
    learned,
  };
}

/**
 * A multi-output task (one output per class): no error modes (they are of one output's error);
 * learned when the MSE halved and the final training accuracy reaches CLASSIFICATION_LEARNED_ACCURACY.
 */
function summariseClassification(log: LogEntry[], classes: number): RunSummary {
  const first = log[0];
  const last = log[log.length - 1];
  const fall = last.mse > 0 ? first.mse / last.mse : Infinity;
  const accuracyStart = first.accuracy ?? 0;
  const accuracyEnd = last.accuracy ?? 0;
  return {
    mseStart: first.mse,
    mseEnd: last.mse,
    mseFall: fall,
    modeHalfTimes_s: {},
    modeOrder: [],
    modesInOrder: false,
    classification: {
      classes,
      accuracyStart,
      accuracyEnd,
      ...(last.heldOutAccuracy === undefined ? {} : { heldOutAccuracyStart: first.heldOutAccuracy, heldOutAccuracyEnd: last.heldOutAccuracy, heldOutMseEnd: last.heldOutMse }),
    },
    learned: fall >= 2 && accuracyEnd >= CLASSIFICATION_LEARNED_ACCURACY,
  };
}
