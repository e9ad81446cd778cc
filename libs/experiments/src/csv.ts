/**
 * A dataset as CSV: one row per datapoint, the input voltages in roles.inputs order, then
 * the label (V), or one label per output for a multi-output task. A first row that is not numeric is taken as a header. Blank lines and
 * lines starting with # are ignored.
 *
 * The file is hostile input: it is read line by line without splitting the whole text, a row
 * with more cells than the task has columns is refused before it is split, datapoints stop at
 * CSV_ROWS_MAX, and an error names the line, the column and the problem, never the cells.
 */
import type { Dataset } from './experiment';
import { Described, ExperimentError } from './validate';

/**
 * Most datapoints a CSV dataset holds: Iris has 150. Every test step measures every datapoint
 * (result.json and the event log hold a reading of each), so a run's memory grows with this;
 * 10,000 keeps a default run of a few hundred MB, where 10⁶ rows ran out of memory.
 */
export const CSV_ROWS_MAX = 10_000;

/** A cell the task reads as a number: decimal, optionally signed, with an exponent (no hex, no blanks). */
const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const NON_FINITE = /^[+-]?(?:nan|inf(?:inity)?)$/i;

export function parseCsvDataset(text: string, inputCount: number, outputCount: number, where: string): Dataset {
  const inputs: number[][] = [];
  const labels: number[] = [];
  const columns = inputCount + outputCount;
  let headerAllowed = true;
  let lineNumber = 0;
  for (let start = 0; start <= text.length;) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    lineNumber++;
    const line = text.slice(start, end).trim();
    start = end + 1;
    if (line === '' || line.startsWith('#')) continue;
    const at = `${where} line ${lineNumber}`;
    // Split no further than one cell past the task's columns: a line of a million commas is refused without a million cells.
    const cells = line.split(',', columns + 1).map((c) => c.trim());
    if (headerAllowed) {
      headerAllowed = false;
      if (cells.some((c) => !NUMBER.test(c) && !NON_FINITE.test(c))) continue; // header row
    }
    if (cells.length !== columns)
      throw new ExperimentError(
        at,
        new Described(cells.length > columns ? `more than ${columns} cells` : `${cells.length} cell${cells.length === 1 ? '' : 's'}`),
        `must hold ${inputCount} input voltage(s) and ${outputCount === 1 ? 'a label' : `${outputCount} labels (one per output)`}`,
      );
    if (inputs.length === CSV_ROWS_MAX)
      throw new ExperimentError(at, new Described(`datapoint ${CSV_ROWS_MAX + 1}`), `must hold at most ${CSV_ROWS_MAX} datapoints (CSV_ROWS_MAX)`);
    const values = cells.map((c, i) => cell(c, `${at} column ${i + 1}`));
    inputs.push(values.slice(0, inputCount));
    for (let k = 0; k < outputCount; k++) labels.push(values[inputCount + k]);
  }
  if (inputs.length === 0) throw new ExperimentError(where, new Described('no datapoint rows'), 'must hold at least one datapoint');
  return { inputs, labels };
}

function cell(text: string, at: string): number {
  const v = Number(text);
  if (NUMBER.test(text) && Number.isFinite(v)) return v;
  const what = NUMBER.test(text)
    ? `a number too large to hold (${v})`
    : NON_FINITE.test(text)
      ? /nan/i.test(text)
        ? 'NaN'
        : `${text.startsWith('-') ? '-' : ''}Infinity`
      : text === ''
        ? 'an empty cell'
        : 'text that is not a number';
  throw new ExperimentError(at, new Described(what), 'must be a number of volts');
}
