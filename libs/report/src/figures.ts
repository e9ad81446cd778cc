/**
 * Which figures a result gets, each with the caption the page prints under it. Captions
 * carry the numbers a reader needs but cannot read off a picture (labels, scale choices,
 * the transistor threshold used for the width proxy).
 */
import type { FamilyResult, ResultFile, RunResult } from '@metatwin/experiments';
import type { TopLevelSpec } from 'vega-lite';
import { isDifferential, outputCount, trainingPointCount } from '@metatwin/contracts';
import { classNames, classificationSpec } from './classification';
import { familyModesSpec, fig4Task } from './family-modes';
import { formatInput_V, formatMilliVolts, formatSig, formatTime_s } from './format';
import { leftOutText, modeOrderRule } from './mode-order';
import { mseModesFloor, mseModesRows, mseModesSpec } from './mse-modes';
import { NETWORK_DRAWING_MAX_EDGES, gateDistributionSpec } from './gate-distributions';
import { gateSpans, networkSpec } from './network-figure';
import { networkLayout } from './network-layout';
import { outputsSpec, truthTableSpec } from './outputs';
import { POWER_BARS_MAX_EDGES, powerBreakdown, powerSpec } from './power-figure';
import { firstPositiveTime_s } from './sampling';
import { chooseSnapshots } from './snapshots';

export interface ReportFigure {
  /** File stem: figures/<name>.svg. */
  readonly name: string;
  readonly title: string;
  readonly caption: string;
  readonly spec: TopLevelSpec;
}

/** "The 4 snapshots (numbered 1–4 …) were chosen from the run: …" — figure 1's full account of the rule that picked them. */
function snapshotText(run: RunResult): string {
  const choice = chooseSnapshots(run);
  const n = choice.indices.length;
  return `The ${n} snapshot${n === 1 ? '' : 's'} (numbered 1–${n} in figures 1–3) ${n === 1 ? 'was' : 'were'} ${choice.why}.`;
}

/** The same in a few words, for figures 2 and 3. */
function snapshotShortText(run: RunResult): string {
  return `Snapshots numbered as figure 1's grey bars, ${chooseSnapshots(run).summary} (details under figure 1).`;
}

/** What the log axis' floor is and why values under it are drawn at it. */
function floorText(run: RunResult): string {
  const floor = mseModesFloor(run);
  const below = mseModesRows(run).filter((r) => Math.abs(r.raw) < floor);
  const zeros = below.filter((r) => r.raw === 0).length;
  const drawn =
    below.length === 0
      ? 'No plotted value is below it.'
      : `${below.length} plotted value${below.length === 1 ? ' is' : 's are'} below it${zeros > 0 ? ` (${zeros} exactly 0: an ADC reading that hit the label)` : ''} and drawn at it.`;
  return (
    `Log-axis floor ${floor.toExponential(1)} (in the axis' units): the larger of a tenth of the smallest non-zero value plotted and a thousandth of the lowest MSE. ${drawn} ` +
    `A log axis cannot show 0, and a mode passing through zero would otherwise stretch it over many empty decades.`
  );
}

/** Which modes the order rule left out, for figure 1's caption; the rule itself is in the summary table. */
function orderText(run: RunResult): string {
  const rule = modeOrderRule(run);
  if (rule === null) return '';
  return ` Left out of the mode order (rule in the summary table): ${leftOutText(rule)}.`;
}

function mseModesFigure(run: RunResult): ReportFigure {
  const knee_s = firstPositiveTime_s(run.log);
  const axis = knee_s === null ? 'Time axis linear.' : `Time axis linear up to the first test step (${formatTime_s(knee_s)}) and logarithmic beyond.`;
  const floor = ` ${floorText(run)}`;
  const trained = trainingPointCount(run.experiment.dataset);
  const heldOut = trained < run.inputs.length ? ` The grey line is the MSE over the ${run.inputs.length - trained} held-out datapoints (never trained on).` : '';
  if (run.modeNames.length === 0) {
    return {
      name: 'mse-modes',
      title: 'Error',
      caption:
        `Mean squared error over the ${trained} datapoints trained on and every output (black, V²) against learning time, log scale.${heldOut} ` +
        `Error modes are not drawn: they are defined for one output's error, and this task has ${outputCount(run.experiment)} outputs.${floor} ${axis} ` +
        `Numbered grey bars bound figure 3's time spans. ${snapshotText(run)}`,
      spec: mseModesSpec(run),
    };
  }
  return {
    name: 'mse-modes',
    title: 'Error and error modes',
    caption:
      `Mean squared error over the datapoints (black, V²) and the magnitude of each error mode ${run.modeNames.map((m) => `|${m}|`).join(', ')} (V) against learning time, ` +
      `log scale, as the paper's Fig. 3C / 4B.${heldOut}${floor} ${axis} ` +
      `Numbered grey bars mark the snapshots of figure 2, which also bound figure 3's time spans. ${snapshotText(run)}${orderText(run)}`,
    spec: mseModesSpec(run),
  };
}

function classificationFigure(run: RunResult): ReportFigure {
  const names = classNames(run);
  const c = run.summary.classification;
  const final = c
    ? ` Final accuracy ${(100 * c.accuracyEnd).toFixed(1)} % trained on${c.heldOutAccuracyEnd === undefined ? '' : `, ${(100 * c.heldOutAccuracyEnd).toFixed(1)} % held out`}.`
    : '';
  return {
    name: 'classification',
    title: 'Classification during training',
    caption:
      `Left: the fraction of datapoints whose highest output is their class's (accuracy) against learning time, on the datapoints trained on (black) and held out (grey). ` +
      `Right: the final test's confusion matrix of each set, rows the true class and columns the class read (${names.join(', ')}); the number is the count of datapoints, the shade its share of the true class.${final}`,
    spec: classificationSpec(run),
  };
}

function outputFigure(run: RunResult): ReportFigure | null {
  if (outputCount(run.experiment) > 1) return classificationFigure(run);
  const inputCount = run.inputs[0]?.length ?? 0;
  const output = isDifferential(run.roles) ? 'O = O+ − O−' : 'O';
  if (inputCount === 2) {
    const labels = run.inputs.map((p, i) => `(${formatInput_V(p[0])}, ${formatInput_V(p[1])}) V → ${formatMilliVolts(run.labels[i])}`).join('; ');
    const verdict = run.summary.truthTableCorrect === undefined ? '' : ` Final table ${run.summary.truthTableCorrect ? 'correct' : 'not correct'}.`;
    return {
      name: 'truth-table',
      title: 'Truth table during training',
      caption:
        `Network output ${output} for every input pair (V1, V2) at the snapshots of training figure 1 marks, as Fig. 3B. ${snapshotShortText(run)} ` +
        `Cell text is the output in mV; colour diverges at 0 V, blue negative, red positive (as the network figure's rates). Labels: ${labels}.${verdict}`,
      spec: truthTableSpec(run),
    };
  }
  if (inputCount === 1) {
    return {
      name: 'outputs',
      title: 'Output against input during training',
      caption:
        `Network output ${output} against input V1 at the snapshots of training figure 1 marks, as Fig. 4A: ` +
        `the first snapshot black, later ones blue, darker is later. Open black circles are the labels L. ${snapshotShortText(run)}`,
      spec: outputsSpec(run),
    };
  }
  return null;
}

function networkFigure(run: RunResult): ReportFigure {
  const edges = run.network.edges.length;
  if (edges > NETWORK_DRAWING_MAX_EDGES) {
    const spans = gateSpans(run);
    return {
      name: 'network',
      title: 'Network during training: distributions over the edges',
      caption:
        `The network has ${edges.toLocaleString('en-US')} edges, too many to draw edge by edge (above ${NETWORK_DRAWING_MAX_EDGES.toLocaleString('en-US')}). ` +
        `First ${spans.length} panels, one per span of training between consecutive snapshots of figure 1 (${spans.map((s) => s.title).join('; ')}): how many edges had each mean rate of change of their gate dG/dt over the span (V/s; each span its own range). ` +
        `Last panel: how many edges ended with each measured conductance I/ΔV (mS), averaged over datapoints. ${snapshotShortText(run)}`,
      spec: gateDistributionSpec(run),
    };
  }
  const layout = networkLayout(run.network);
  const lattice = run.network.lattice;
  const drawing =
    layout.kind === 'lattice' && lattice
      ? `The ${lattice.rows} × ${lattice.cols} lattice (node = row·${lattice.cols} + col, row 0 at the top)${lattice.periodic ? '; wrap-around edges of the periodic lattice are drawn as half-length stubs leaving the border' : ''}.`
      : `Nodes on a circle, node 0 at the top, numbered clockwise (the network has no lattice).`;
  const spans = gateSpans(run);
  return {
    name: 'network',
    title: 'Network during training',
    caption:
      `${drawing} First ${spans.length} panels, one per span of training between consecutive snapshots of figure 1 (${spans.map((s) => s.title).join('; ')}), as Fig. 3A / 4C: ` +
      `edge colour is the mean rate of change of its gate voltage dG/dt over the span (V/s, red rising, blue falling; each span has its own colour range because early spans change far faster); ` +
      `edge width is the gate overdrive max(G − V_T, 0) with V_T = ${run.experiment.transistor.vto_V} V, averaged over the span's test steps, a proxy for conductance (same width scale in every span). ` +
      `Last panel: width is the measured conductance I/ΔV per edge (mS) averaged over datapoints. Markers: inputs (green triangles), constant rails (grey squares, with their voltage), output nodes (purple). ${snapshotShortText(run)}`,
    spec: networkSpec(run),
  };
}

function powerFigure(run: RunResult): ReportFigure {
  const p = powerBreakdown(run);
  const edges = p.rows.length;
  const uW = (w: number): string => `${formatSig(w * 1e6)} µW`;
  const held = !p.heldKnown
    ? 'This result was written before final.heldEdges was kept, so the edges joining two held nodes cannot be marked.'
    : p.heldCount === 0
      ? 'No edge joins two held nodes (inputs, rails).'
      : `The ${p.heldCount} of ${edges} edges that join two held nodes (inputs, rails; orange) dissipate ${uW(p.held_W)}, ${formatSig((100 * p.held_W) / p.total_W, 3)} % of the total: ` +
        `their drop is set by the sources alone, the same in the free and the clamped state, so learning does not change it — an overhead of how the task is applied, not of what was learned. ` +
        `The other edges dissipate ${uW(p.total_W - p.held_W)}, ${uW((p.total_W - p.held_W) / Math.max(edges - p.heldCount, 1))} per edge.`;
  const shape =
    edges > POWER_BARS_MAX_EDGES
      ? `How many edges dissipate each mean inference power (more than ${POWER_BARS_MAX_EDGES} edges: too many for one bar each).`
      : 'Mean inference power of each edge, largest first.';
  return {
    name: 'power',
    title: 'Inference power per edge',
    caption: `${shape} Power K·ΔV² of the free network at the final gates, averaged over the datapoints (final.powerPerEdge_W); total ${uW(p.total_W)} over ${edges} edges (${uW(p.total_W / Math.max(edges, 1))} per edge). ${held}`,
    spec: powerSpec(run),
  };
}

export function runFigures(run: RunResult): ReportFigure[] {
  const outputs = outputFigure(run);
  return [mseModesFigure(run), ...(outputs ? [outputs] : []), networkFigure(run), powerFigure(run)];
}

function fig4Text(family: FamilyResult): string {
  const fig4 = fig4Task(family);
  if (fig4 === null) return 'No task has one input, so none is compared with Fig. 4.';
  const name = family.tasks[fig4.index].name;
  return fig4.exact
    ? `The green trace (labelled Fig. 4) is task ${name}, the regression preset's task shown in Fig. 4, as the paper's green line.`
    : `No task equals the regression preset's task of Fig. 4; the green trace (labelled Fig. 4) is the nearest, ${name}, whose labels differ from it by ${formatSig(fig4.labelRms_V * 1e3)} mV RMS.`;
}

export function familyFigures(family: FamilyResult): ReportFigure[] {
  return [
    {
      name: 'family-modes',
      title: 'Error-mode trajectories of every task',
      caption:
        `Signed error modes E0 against E1 (left) and E1 against E2 (right) for all ${family.tasks.length} tasks during training, as Fig. 5. ` +
        `Dot colour is learning time; grey lines join each task's test steps; traces end at open black circles. Dashed grey diagonals are |x| = |y|. ${fig4Text(family)} ` +
        `Each axis spans its mode's values over every task, and 0, plus 6 % (so the two axes of a panel have different scales and the diagonals need not run at 45°).`,
      spec: familyModesSpec(family),
    },
  ];
}

export function reportFigures(result: ResultFile): ReportFigure[] {
  return result.kind === 'run' ? runFigures(result) : familyFigures(result);
}
