/**
 * The report page: one self-contained HTML file (figures inlined as SVG, styles inline, no
 * scripts or network fetches) so it can be mailed, archived next to result.json, or opened
 * from a lab machine without internet.
 */
import type { FamilyResult, ResultFile, RunResult } from '@metatwin/experiments';
import { escapeHtml, formatTime_s } from './format';
import type { ReportFigure } from './figures';
import { modeOrderRule, presentThreshold } from './mode-order';
import { familyInOrderText, familyTaskRows, learningTime_s, runSummaryRows, type SummaryRow } from './summary';

export interface RenderedFigure extends ReportFigure {
  readonly svg: string;
}

const STYLE = `
  body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem auto; max-width: 1200px; padding: 0 1rem; color: #222; }
  h1 { margin-bottom: 0.2rem; }
  .meta { color: #555; margin-top: 0; }
  table { border-collapse: collapse; margin: 1rem 0 2rem; }
  th, td { text-align: left; padding: 0.3rem 0.9rem 0.3rem 0; border-bottom: 1px solid #e3e3e3; vertical-align: top; }
  th { font-weight: 600; }
  figure { margin: 0 0 2.5rem; }
  figure svg { max-width: 100%; height: auto; }
  figcaption { max-width: 900px; color: #333; font-size: 0.92rem; line-height: 1.4; }
  figcaption b { color: #000; }
`;

/** One figure with its numbered caption (shared with the study report). */
export function figureHtml(figure: RenderedFigure, index: number): string {
  return [
    `<figure id="${escapeHtml(figure.name)}">`,
    figure.svg,
    `<figcaption><b>Figure ${index + 1}. ${escapeHtml(figure.title)}.</b> ${escapeHtml(figure.caption)}</figcaption>`,
    '</figure>',
  ].join('\n');
}

/** A two-column table, label then value per row (the summaries at the top of a page). */
export function labelledTable(rows: ReadonlyArray<SummaryRow>): string {
  return `<table>\n${rows.map((r) => `<tr><th>${escapeHtml(r.label)}</th><td>${escapeHtml(r.value)}</td></tr>`).join('\n')}\n</table>`;
}

/** A table with a header row; every cell is escaped. */
export function htmlTable(headers: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>): string {
  const head = `<tr>${headers.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr>`;
  const body = rows.map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`).join('\n');
  return `<table>\n${head}\n${body}\n</table>`;
}

function runHeader(run: RunResult): string {
  const meta = `seed ${run.seed} · ${run.steps.toLocaleString('en-US')} steps · learning time ${formatTime_s(learningTime_s(run))}`;
  const summary = runSummaryRows(run);
  return [
    `<h1>${escapeHtml(run.name)}</h1>`,
    `<p class="meta">${escapeHtml(meta)}</p>`,
    run.experiment.description ? `<p>${escapeHtml(run.experiment.description)}</p>` : '',
    labelledTable(summary),
  ].join('\n');
}

function familyHeader(family: FamilyResult): string {
  const meta = `seed ${family.seed} · ${family.tasks.length} tasks · wall time ${formatTime_s(family.wall_s)}`;
  const rows = familyTaskRows(family).map((r) => [r.task, r.mseStart, r.mseEnd, r.modeOrder, r.inOrder, r.leftOut]);
  const rule = family.tasks.length > 0 ? modeOrderRule(family.tasks[0]) : null;
  return [
    `<h1>${escapeHtml(family.name)}</h1>`,
    `<p class="meta">${escapeHtml(meta)}</p>`,
    `<p><b>${escapeHtml(familyInOrderText(family))}.</b></p>`,
    rule === null
      ? ''
      : `<p>Mode-order rule: ${escapeHtml(rule.text)}. Modes left out of a task's order started below ${escapeHtml(presentThreshold())} of its initial error norm: almost nothing of them to learn.</p>`,
    htmlTable(['task', 'MSE start (V²)', 'MSE end (V²)', 'mode order', 'modes in order', 'left out (share of initial error)'], rows),
  ].join('\n');
}

function header(result: ResultFile): string {
  switch (result.kind) {
    case 'run':
      return runHeader(result);
    case 'family':
      return familyHeader(result);
    default: {
      const unknown: never = result;
      throw new RangeError(`unknown result kind ${JSON.stringify((unknown as { kind?: unknown }).kind)}`);
    }
  }
}

/** A self-contained page: `body` fragments (already HTML) inside the report's head and style. */
export function pageHtml(title: string, body: ReadonlyArray<string>): string {
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<title>${escapeHtml(title)}</title>`,
    `<style>${STYLE}</style>`,
    '</head>',
    '<body>',
    ...body,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

/** The whole page; `figures` carry their SVG markup, inlined in order. */
export function reportHtml(result: ResultFile, figures: ReadonlyArray<RenderedFigure>): string {
  return pageHtml(`metatwin report: ${result.name}`, [header(result), ...figures.map(figureHtml)]);
}
