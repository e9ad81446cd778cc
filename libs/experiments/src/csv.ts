/**
 * A dataset as CSV: one row per datapoint, the input voltages in roles.inputs order, then
 * the label (V), or one label per output for a multi-output task. A first row that is not numeric is taken as a header. Blank lines and
 * lines starting with # are ignored.
 */
import type { Dataset } from './experiment';
import { ExperimentError } from './validate';

export function parseCsvDataset(text: string, inputCount: number, outputCount: number, where: string): Dataset {
  const inputs: number[][] = [];
  const labels: number[] = [];
  const lines = text.split(/\r?\n/);
  let headerAllowed = true;
  lines.forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const cells = line.split(',').map((c) => c.trim());
    const values = cells.map(Number);
    if (headerAllowed && values.some((v, i) => cells[i] === '' || Number.isNaN(v))) {
      headerAllowed = false;
      return; // header row
    }
    headerAllowed = false;
    if (cells.length !== inputCount + outputCount)
      throw new ExperimentError(
        `${where} line ${index + 1}`,
        line,
        `must hold ${inputCount} input voltage(s) and ${outputCount === 1 ? 'a label' : `${outputCount} labels (one per output)`}`,
      );
    values.forEach((v, i) => {
      if (!Number.isFinite(v)) throw new ExperimentError(`${where} line ${index + 1} column ${i + 1}`, cells[i], 'must be a number of volts');
    });
    inputs.push(values.slice(0, inputCount));
    for (let k = 0; k < outputCount; k++) labels.push(values[inputCount + k]);
  });
  if (inputs.length === 0) throw new ExperimentError(where, text.slice(0, 40), 'must hold at least one datapoint');
  return { inputs, labels };
}
