import { parseArgs } from 'node:util';
import type { Experiment, Signal } from '@metatwin/contracts';
import { InfluxSink, type InfluxTarget } from '@metatwin/influx';
import { runStart_ms, twinResidualPoints } from '@metatwin/projection';
import { networkOf } from '@metatwin/edge-physics';
import { fileReader, parseChip } from '@metatwin/experiments';
import { MEASURED_SIGNALS, compareRun, readRunSignals, type CompareReport, type MeasuredSignal } from '@metatwin/services';
import { UsageError } from '../usage';
import { openEventLog } from './event-log';
import { influxTargetArg } from './influx';

const NAMES: Record<MeasuredSignal, string> = {
  adcNode: 'ADC node codes',
  adcGate: 'ADC gate codes',
  networkNodes: 'network nodes',
  networkGates: 'network gates',
};

/**
 * `metatwin compare <run> [--log DIR|nats://…] [--chip FILE] [--json] [--influx URL]`: a recorded run's measurements against
 * its twin re-driven on the run's recorded inputs (libs/services/src/compare.ts): the residual
 * of each measured signal in ADC codes, over the run and per test step, beside the noise floor.
 */
export async function compareCommand(argv: string[], write: (s: string) => void): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { log: { type: 'string' }, json: { type: 'boolean' }, chip: { type: 'string' }, influx: { type: 'string' } },
    strict: true,
    allowPositionals: true,
  });
  if (positionals.length !== 1) throw new UsageError('compare needs exactly one run id (see `metatwin runs`)');
  const runId = positionals[0];
  const influx = values.influx === undefined ? null : influxTargetArg(values.influx);
  const log = await openEventLog(values.log);
  let report: CompareReport;
  let created: Signal<'RunCreated'> | undefined;
  try {
    if (!(await log.runIds()).includes(runId)) throw new UsageError(`no run "${runId}" in the log (see \`metatwin runs\`)`);
    const signals = await readRunSignals(log, runId);
    report = compareRun(signals, values.chip === undefined ? {} : { twin: withChip(values.chip) });
    created = signals.find((s): s is Signal<'RunCreated'> => s.type === 'RunCreated');
  } finally {
    await log.close();
  }
  write(values.json ? JSON.stringify(report) + '\n' : text(report));
  if (influx !== null && created !== undefined) return (await project(report, created, values.chip ?? 'card', influx, write)) ? 0 : 1;
  return 0;
}

/** The residuals per test step into InfluxDB (twin_residual), for the Hardware link dashboard. */
async function project(r: CompareReport, created: Signal<'RunCreated'>, twin: string, target: InfluxTarget, write: (s: string) => void): Promise<boolean> {
  const rows = r.overTime.map((o) => ({ step: o.step, t_s: o.t_s, rms: Object.fromEntries(MEASURED_SIGNALS.map((s) => [s, o[s]])) }));
  const floor = (signal: string): number => (signal === 'adcGate' || signal === 'networkGates' ? r.noiseFloor_codes.gate : r.noiseFloor_codes.node);
  const points = twinResidualPoints(r.run, created.data.experiment.name, runStart_ms(r.run, created.data.startedAt_ms), twin, rows, floor);
  const sink = new InfluxSink(target, { onError: (err) => write(`InfluxDB ${target.url}: ${err.message} — retrying\n`) });
  try {
    await sink.write(points);
    const ok = await sink.flush(30_000);
    write(ok ? `influx: ${points.length} twin_residual points of run ${r.run} in ${target.url}\n` : `InfluxDB ${target.url} did not take the residuals in 30 s\n`);
    return ok;
  } finally {
    await sink.close();
  }
}

/** The twin built with the chip file `path` (its parameters replace the card and the draws). */
function withChip(path: string): (exp: Experiment) => Experiment {
  return (exp) => {
    try {
      const chip = parseChip(path, networkOf(exp.network).edgeCount, { readText: fileReader(process.cwd()) });
      return { ...exp, imperfections: { ...exp.imperfections, chip } };
    } catch (err) {
      throw new UsageError(`--chip: ${(err as Error).message}`);
    }
  };
}

function text(r: CompareReport): string {
  const f = (x: number | null, d = 2): string => (x === null ? '—' : x.toFixed(d));
  const where = r.onHardware.length === 0 ? 'nothing ran on hardware: the residuals are the simulation against itself' : `on hardware: ${r.onHardware.join(', ')}`;
  const lines = [`run ${r.run} against its twin, re-driven on the recorded inputs (${where})`, '', 'signal            count   bias   RMS    max|r|  noise floor   (ADC codes)'];
  for (const s of MEASURED_SIGNALS) {
    const st = r.signals[s];
    const floor = s === 'adcGate' || s === 'networkGates' ? r.noiseFloor_codes.gate : r.noiseFloor_codes.node;
    lines.push(
      `${NAMES[s].padEnd(16)} ${String(st?.count ?? 0).padStart(6)} ${f(st?.bias_codes ?? null).padStart(6)} ${f(st?.rms_codes ?? null).padStart(6)} ${f(st?.maxAbs_codes ?? null).padStart(8)} ${f(floor).padStart(8)}`,
    );
  }
  lines.push('', 'RMS per test step (codes):', 'step        t (s)   ADC node  ADC gate  nodes  gates');
  for (const o of r.overTime)
    lines.push(
      `${String(o.step).padStart(8)} ${o.t_s.toFixed(4).padStart(10)} ${f(o.adcNode).padStart(9)} ${f(o.adcGate).padStart(9)} ${f(o.networkNodes).padStart(6)} ${f(o.networkGates).padStart(6)}`,
    );
  if (r.skippedClampedSamples > 0) lines.push(`(${r.skippedClampedSamples} ADC samples of the clamped copy's nodes not compared: the twin's test readings hold the free copy)`);
  return lines.join('\n') + '\n';
}
