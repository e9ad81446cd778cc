/**
 * Entry point: a result file in, a report directory out (report.html plus every figure as
 * figures/<name>.svg). The shape of the result is checked here, once, so the figure
 * builders can index arrays without guarding every access.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { outputCount } from '@metatwin/contracts';
import type { ResultFile, RunResult } from '@metatwin/experiments';
import { reportFigures, type ReportFigure } from './figures';
import { reportHtml, type RenderedFigure } from './html-page';
import { renderSvg } from './render-svg';

/** Throws RangeError naming the first array whose length does not fit the run. */
export function validateRunForReport(run: RunResult): void {
  const where = `run "${run.name}"`;
  const edges = run.network.edges.length;
  if (run.log.length === 0) throw new RangeError(`${where}: log is empty, nothing to plot`);
  const outputs = outputCount(run.experiment);
  if (run.inputs.length * outputs !== run.labels.length)
    throw new RangeError(`${where}: ${run.inputs.length} input rows and ${outputs} output${outputs === 1 ? '' : 's'} but ${run.labels.length} labels`);
  run.log.forEach((entry, i) => {
    if (entry.outputs.length !== run.labels.length) throw new RangeError(`${where}: log[${i}].outputs has ${entry.outputs.length} values, expected ${run.labels.length}`);
    if (entry.gates_V.length !== edges) throw new RangeError(`${where}: log[${i}].gates_V has ${entry.gates_V.length} values, expected ${edges} (one per edge)`);
  });
  if (run.final.conductance_S.length !== edges) throw new RangeError(`${where}: final.conductance_S has ${run.final.conductance_S.length} values, expected ${edges}`);
  for (const [a, b] of run.network.edges) {
    if (!(a >= 0 && a < run.network.nodeCount && b >= 0 && b < run.network.nodeCount))
      throw new RangeError(`${where}: edge [${a}, ${b}] names a node outside 0…${run.network.nodeCount - 1}`);
  }
}

function validateResult(result: ResultFile): void {
  switch (result.kind) {
    case 'run':
      validateRunForReport(result);
      return;
    case 'family':
      if (result.tasks.length === 0) throw new RangeError(`family "${result.name}": no tasks`);
      result.tasks.forEach(validateRunForReport);
      return;
    default: {
      const unknown: never = result;
      throw new RangeError(`unknown result kind ${JSON.stringify((unknown as { kind?: unknown }).kind)}`);
    }
  }
}

/**
 * Render `figures` into dir/figures/<name>.svg. Returns the SVG markup for the page, absolute
 * paths, and Vega warnings prefixed with the figure name: a warning means a figure silently
 * dropped something (an encoding, infinite values), which the caller should see, but it is
 * no reason to lose the rest of the report.
 */
export async function writeFigures(figures: ReadonlyArray<ReportFigure>, dir: string): Promise<{ rendered: RenderedFigure[]; paths: string[]; warnings: string[] }> {
  const figureDir = join(dir, 'figures');
  await mkdir(figureDir, { recursive: true });
  const rendered: RenderedFigure[] = [];
  const paths: string[] = [];
  const allWarnings: string[] = [];
  for (const figure of figures) {
    const { svg, warnings } = await renderSvg(figure.spec, figure.name);
    allWarnings.push(...warnings.map((w) => `${figure.name}: ${w}`));
    const path = join(figureDir, `${figure.name}.svg`);
    await writeFile(path, svg, 'utf8');
    paths.push(path);
    rendered.push({ ...figure, svg });
  }
  return { rendered, paths, warnings: allWarnings };
}

/** Render every figure of `result` and write outDir/report.html and outDir/figures/*.svg (paths absolute). */
export async function writeReport(result: ResultFile, outDir: string): Promise<{ html: string; figures: string[]; warnings: string[] }> {
  validateResult(result);
  const dir = resolve(outDir);
  const { rendered, paths, warnings } = await writeFigures(reportFigures(result), dir);
  const html = join(dir, 'report.html');
  await writeFile(html, reportHtml(result, rendered), 'utf8');
  return { html, figures: paths, warnings };
}
