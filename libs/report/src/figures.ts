/**
 * Which figures a result gets, each with the caption the page prints under it. Captions
 * carry the numbers a reader needs but cannot read off a picture (labels, scale choices,
 * the transistor threshold used for the width proxy).
 */
import type { FamilyResult, ResultFile, RunResult } from '@metatwin/experiments';
import type { TopLevelSpec } from 'vega-lite';
import { isDifferential, outputCount, trainingPointCount } from '@metatwin/contracts';
import { classNames, classificationSpec } from './classification';
import { familyModesSpec } from './family-modes';
import { formatInput_V, formatMilliVolts, formatTime_s } from './format';
import { mseModesRows, mseModesSpec } from './mse-modes';
import { NETWORK_DRAWING_MAX_EDGES, gateDistributionSpec } from './gate-distributions';
import { gateSpans, networkSpec } from './network-figure';
import { networkLayout } from './network-layout';
import { outputsSpec, truthTableSpec } from './outputs';
import { firstPositiveTime_s, snapshotIndices } from './sampling';

export interface ReportFigure {
  /** File stem: figures/<name>.svg. */
  readonly name: string;
  readonly title: string;
  readonly caption: string;
  readonly spec: TopLevelSpec;
}

function snapshotTimes(run: RunResult): string {
  return snapshotIndices(run)
    .map((i) => formatTime_s(run.log[i].t_s))
    .join(', ');
}

function mseModesFigure(run: RunResult): ReportFigure {
  const rows = mseModesRows(run);
  const zeros = rows.filter((r) => r.raw === 0);
  const knee_s = firstPositiveTime_s(run.log);
  const axis = knee_s === null ? 'Time axis linear.' : `Time axis linear up to the first test step (${formatTime_s(knee_s)}) and logarithmic beyond.`;
  const floor =
    zeros.length === 0
      ? ''
      : ` ${zeros.length === 1 ? 'One value' : `${zeros.length} values`} of exactly 0 ${zeros.length === 1 ? 'is' : 'are'} drawn at ${zeros[0].value.toExponential(1)}, below every measured value.`;
  const trained = trainingPointCount(run.experiment.dataset);
  const heldOut = trained < run.inputs.length ? ` The grey line is the MSE over the ${run.inputs.length - trained} held-out datapoints (never trained on).` : '';
  if (run.modeNames.length === 0) {
    return {
      name: 'mse-modes',
      title: 'Error',
      caption:
        `Mean squared error over the ${trained} datapoints trained on and every output (black, V²) against learning time, log scale.${heldOut} ` +
        `Error modes are not drawn: they are defined for one output's error, and this task has ${outputCount(run.experiment)} outputs.${floor} ${axis}`,
      spec: mseModesSpec(run),
    };
  }
  return {
    name: 'mse-modes',
    title: 'Error and error modes',
    caption:
      `Mean squared error over the datapoints (black, V²) and the magnitude of each error mode ${run.modeNames.map((m) => `|${m}|`).join(', ')} (V) against learning time, ` +
      `log scale, as the paper's Fig. 3C / 4B.${heldOut}${floor} ${axis} Grey bars mark the snapshots of figure 2 (${snapshotTimes(run)}).`,
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
        `Network output ${output} for every input pair (V1, V2) at ${snapshotIndices(run).length} moments of training (${snapshotTimes(run)}: first test step, two log-spaced, last), as Fig. 3B. ` +
        `Cell text is the output in mV; colour diverges at 0 V, blue negative, red positive (as the network figure's rates). Labels: ${labels}.${verdict}`,
      spec: truthTableSpec(run),
    };
  }
  if (inputCount === 1) {
    return {
      name: 'outputs',
      title: 'Output against input during training',
      caption:
        `Network output ${output} against input V1 at ${snapshotIndices(run).length} moments of training (${snapshotTimes(run)}, log-spaced), as Fig. 4A: ` +
        `initial output black, later ones blue, darker is later. Open black circles are the labels L.`,
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
        `First ${spans.length} panels, one per span of training (${spans.map((s) => s.title).join('; ')}): how many edges had each mean rate of change of their gate dG/dt over the span (V/s; each span its own range). ` +
        `Last panel: how many edges ended with each measured conductance I/ΔV, averaged over datapoints.`,
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
      `${drawing} First ${spans.length} panels, one per span of training (${spans.map((s) => s.title).join('; ')}), as Fig. 3A / 4C: ` +
      `edge colour is the mean rate of change of its gate voltage dG/dt over the span (V/s, red rising, blue falling; each span has its own colour range because early spans change far faster); ` +
      `edge width is the gate overdrive max(G − V_T, 0) with V_T = ${run.experiment.transistor.vto_V} V, averaged over the span's test steps, a proxy for conductance (same width scale in every span). ` +
      `Last panel: width is the measured conductance I/ΔV per edge averaged over datapoints. Markers: inputs (green triangles), constant rails (grey squares, with their voltage), output nodes (purple).`,
    spec: networkSpec(run),
  };
}

export function runFigures(run: RunResult): ReportFigure[] {
  const outputs = outputFigure(run);
  return [mseModesFigure(run), ...(outputs ? [outputs] : []), networkFigure(run)];
}

export function familyFigures(family: FamilyResult): ReportFigure[] {
  return [
    {
      name: 'family-modes',
      title: 'Error-mode trajectories of every task',
      caption:
        `Signed error modes E0 against E1 (left) and E1 against E2 (right) for all ${family.tasks.length} tasks during training, as Fig. 5. ` +
        `Dot colour is learning time; grey lines join each task's test steps; traces end at open black circles. Dashed grey diagonals are |x| = |y|.`,
      spec: familyModesSpec(family),
    },
  ];
}

export function reportFigures(result: ResultFile): ReportFigure[] {
  return result.kind === 'run' ? runFigures(result) : familyFigures(result);
}
