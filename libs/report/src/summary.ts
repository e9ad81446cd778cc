/**
 * The numbers at the top of a report: what the run reached and what it cost, in the units
 * the paper quotes (µW and pJ per edge, Appendix "Power"), so they can be set side by side.
 */
import type { FamilyResult, RunResult } from '@metatwin/experiments';
import { arithmeticMean, formatSig, formatTime_s } from './format';
import { leftOutText, modeOrderRule } from './mode-order';
import { powerBreakdown } from './power-figure';

export interface SummaryRow {
  readonly label: string;
  readonly value: string;
}

/** Learning time of the run: the last test step's time (learn-enable on), in seconds. */
export function learningTime_s(run: RunResult): number {
  return run.log.length > 0 ? run.log[run.log.length - 1].t_s : 0;
}

function yesNo(flag: boolean): string {
  return flag ? 'yes' : 'no';
}

function fallFactor(mseFall: number): string {
  return Number.isFinite(mseFall) ? `× ${formatSig(mseFall)}` : '∞ (final MSE is 0)';
}

function modeOrderText(run: RunResult): string {
  const order = run.summary.modeOrder;
  if (order.length === 0) return 'no mode fell below half its start';
  return `${order.join(' → ')} (${run.summary.modesInOrder ? 'in order' : 'out of order'})`;
}

function halfTimesText(run: RunResult): string {
  return run.modeNames
    .map((mode) => {
      const t_s = run.summary.modeHalfTimes_s[mode];
      return `${mode} ${t_s === null || t_s === undefined ? '—' : formatTime_s(t_s)}`;
    })
    .join(', ');
}

/** The held edges' share of the inference power (figure "Inference power per edge"). */
function heldPowerText(run: RunResult): string {
  const p = powerBreakdown(run);
  if (!p.heldKnown) return 'not recorded (result from before final.heldEdges)';
  if (p.total_W <= 0) return `${p.heldCount} edges, no power`;
  return `${formatSig(p.held_W * 1e6)} µW = ${formatSig((100 * p.held_W) / p.total_W, 3)} % of the total, in ${p.heldCount} of ${p.rows.length} edges`;
}

/** Summary table of one run, in display order. */
export function runSummaryRows(run: RunResult): SummaryRow[] {
  const s = run.summary;
  const rows: SummaryRow[] = [
    { label: 'MSE start → end', value: `${formatSig(s.mseStart)} → ${formatSig(s.mseEnd)} V²` },
    { label: 'MSE fall', value: fallFactor(s.mseFall) },
  ];
  const c = s.classification;
  if (c) {
    const percent = (x: number): string => `${(100 * x).toFixed(1)} %`;
    rows.push({ label: 'Accuracy start → end', value: `${percent(c.accuracyStart)} → ${percent(c.accuracyEnd)} (${c.classes} classes)` });
    if (c.heldOutAccuracyEnd !== undefined)
      rows.push({ label: 'Held-out accuracy start → end', value: `${percent(c.heldOutAccuracyStart ?? 0)} → ${percent(c.heldOutAccuracyEnd)}` });
    if (c.heldOutMseEnd !== undefined) rows.push({ label: 'Held-out MSE at the end', value: `${formatSig(c.heldOutMseEnd)} V²` });
  } else {
    rows.push({ label: 'Mode order', value: modeOrderText(run) }, { label: 'Mode half-times', value: halfTimesText(run) });
    const rule = modeOrderRule(run);
    if (rule !== null) rows.push({ label: 'Mode-order rule', value: rule.text }, { label: 'Modes left out of the order', value: leftOutText(rule) });
  }
  if (s.truthTableCorrect !== undefined) rows.push({ label: 'Truth table correct', value: yesNo(s.truthTableCorrect) });
  rows.push(
    { label: 'Learned', value: yesNo(s.learned) },
    { label: 'Inference power per edge', value: `${formatSig(arithmeticMean(run.final.powerPerEdge_W) * 1e6)} µW` },
    { label: 'Inference power, whole network', value: `${formatSig(arithmeticMean(run.final.power_W) * 1e6)} µW` },
    { label: 'Inference power in edges joining two held nodes', value: heldPowerText(run) },
    { label: 'Energy per inference per edge', value: `${formatSig(run.final.energyPerEdge_J * 1e12)} pJ` },
    { label: 'Wall time', value: formatTime_s(run.wall_s) },
  );
  return rows;
}

export interface FamilyTaskRow {
  readonly task: string;
  readonly mseStart: string;
  readonly mseEnd: string;
  readonly modeOrder: string;
  readonly inOrder: string;
  /** Modes left out of the order (below the presence threshold at the start), or "—". */
  readonly leftOut: string;
}

/** One row per task of a family, MSE in V². */
export function familyTaskRows(family: FamilyResult): FamilyTaskRow[] {
  return family.tasks.map((task) => ({
    task: task.name,
    mseStart: formatSig(task.summary.mseStart),
    mseEnd: formatSig(task.summary.mseEnd),
    modeOrder: task.summary.modeOrder.join(' → ') || '—',
    inOrder: yesNo(task.summary.modesInOrder),
    leftOut:
      modeOrderRule(task)
        ?.leftOut.map((m) => `${m.name} (${formatSig(100 * m.share, 2)} %)`)
        .join(', ') || '—',
  }));
}

/** "2 of 3 tasks", the headline of a family report. */
export function familyInOrderText(family: FamilyResult): string {
  return `${family.inOrder} of ${family.tasks.length} tasks learned their modes in order`;
}
