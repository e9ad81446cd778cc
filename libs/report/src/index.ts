// Report: a result.json rendered as one self-contained HTML page with Vega-Lite figures.
export { writeReport, validateRunForReport } from './write-report';
export { reportFigures, runFigures, familyFigures, type ReportFigure } from './figures';
export { reportHtml, type RenderedFigure } from './html-page';
export { renderSvg, namespaceSvgIds } from './render-svg';
export { mseModesSpec, mseModesRows, mseModesFloor, modeSeriesName, decadeTicks, MSE_SERIES, type MseModesRow } from './mse-modes';
export { truthTableSpec, truthTableCells, outputsSpec, outputCurves, timeLabel, type TruthTableCell, type OutputCurvePoint } from './outputs';
export { networkSpec, gateSpans, roleMarkers, type GateSpan, type RoleMarker } from './network-figure';
export { networkLayout, type NetworkLayout, type NodePosition, type EdgeSegment } from './network-layout';
export { familyModesSpec, familyTraceRows, fig4Task, FAMILY_MODE_PAIRS, type Fig4Task, type ModeTracePoint } from './family-modes';
export { runSummaryRows, familyTaskRows, familyInOrderText, learningTime_s, type SummaryRow, type FamilyTaskRow } from './summary';
export { sampleLogIndices, logAxisFloor } from './sampling';
export { chooseSnapshots, snapshotIndices, spanBoundaries, nearestLogIndex, MAX_SNAPSHOTS, type SnapshotChoice, type SnapshotRule } from './snapshots';
export { modeOrderRule, leftOutText, type ModeOrderRule, type LeftOutMode } from './mode-order';
export { powerBreakdown, powerSpec, type EdgePowerRow, type PowerBreakdown } from './power-figure';
export { DEFAULT_STUDY_METRICS, studyFits, writeStudyReport, type StudyFit, type StudyMetricName } from './study-report';
