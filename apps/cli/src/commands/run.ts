import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  ExperimentError,
  fileReader,
  isPresetName,
  parseExperimentText,
  planFromInput,
  readInputFile,
  PRESET_NAMES,
  presetInput,
  type Experiment,
  type FamilyResult,
  type Overrides,
  type Plan,
  type Progress,
  type ResultFile,
  type RunResult,
} from '@metatwin/experiments';
import { AdapterError, LogRecorder, RunCancelledError, RunFailedError, catalogueEnd, resolveRig, runEmbedded, runEntry } from '@metatwin/services';
import { onControllerState } from '@metatwin/bridges';
import { Detached, Interrupts, onInterruptPolicy } from '../interrupts';
import { makeOutDir, writeResult, writeUnfinished } from './outputs';
import type { InfluxTarget } from '@metatwin/influx';
import { influxTargetArg, projectRecordedRun, startLiveProjection } from './influx';
import { defaultLogDir, openEventLog } from './event-log';
import { natsWait_s, runDistributed } from './distributed';
import { randomBytes } from 'node:crypto';
import { writeReport } from '@metatwin/report';
import { UsageError } from '../usage';
import { ProgressBar } from '../progress';

export interface RunIo {
  readonly write: (s: string) => void;
  readonly writeProgress: (s: string) => void;
  readonly isTty: boolean;
  readonly clock: () => number;
}

const defaultIo = (write: (s: string) => void): RunIo => ({
  write,
  writeProgress: (s) => void process.stderr.write(s),
  isTty: Boolean(process.stderr.isTTY),
  clock: () => performance.now() / 1000,
});

/** Resolve a preset name or an experiment file (JSON or YAML) into a plan. */
export function resolvePlan(target: string, overrides: Overrides): Plan {
  let input: unknown;
  let baseDir = process.cwd();
  if (isPresetName(target) && !existsSync(target)) {
    input = presetInput(target);
  } else {
    if (!existsSync(target)) throw new UsageError(`"${target}" is neither a preset (${PRESET_NAMES.join(', ')}) nor a file`);
    input = parseExperimentText(readInputFile(target, 'experiment'), target);
    baseDir = dirname(resolve(target));
  }
  return planFromInput(input, overrides, { readText: fileReader(baseDir) });
}

function positiveNumber(flag: string, v: string | undefined, integer: boolean): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0 || (integer && !Number.isInteger(n)) || (flag !== '--seed' && n === 0)) {
    throw new UsageError(`${flag} must be ${integer ? 'an integer' : 'a number'} ${flag === '--seed' ? '≥ 0' : '> 0'}, got "${v}"`);
  }
  return n;
}

/** `metatwin run <preset|file> [--out DIR] [--seed N] [--steps N | --time SECONDS]` */
export async function runCommand(argv: string[], write: (s: string) => void, io: RunIo = defaultIo(write)): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      out: { type: 'string' },
      seed: { type: 'string' },
      steps: { type: 'string' },
      time: { type: 'string' },
      'no-report': { type: 'boolean' },
      bus: { type: 'string' },
      record: { type: 'string' },
      influx: { type: 'string' },
      'on-interrupt': { type: 'string' },
    },
    strict: true,
    allowPositionals: true,
  });
  if (positionals.length !== 1) throw new UsageError('run needs exactly one preset name or experiment file');
  if (values.steps !== undefined && values.time !== undefined) throw new UsageError('give --steps or --time, not both');
  const overrides: Overrides = {
    seed: positiveNumber('--seed', values.seed, true),
    steps: positiveNumber('--steps', values.steps, true),
    time_s: positiveNumber('--time', values.time, false),
  };
  let plan: Plan;
  try {
    plan = resolvePlan(positionals[0], overrides);
  } catch (err) {
    if (err instanceof ExperimentError) throw new UsageError(`${positionals[0]}: ${err.message}`);
    throw err;
  }
  // Embedded by default: the four services on an in-process bus, every signal in the event log.
  const bus = values.bus ?? 'in-process';
  if (bus !== 'direct' && bus !== 'in-process' && !/^nats:\/\//.test(bus))
    throw new UsageError(`--bus must be "in-process" (default), "direct" (no services, no log) or a nats:// URL where the four services listen, got "${bus}"`);
  if (bus === 'direct' && values.record) throw new UsageError('--record needs the services: use --bus in-process (the default) or nats://…, not --bus direct');
  // Embedded runs read pinned adapters (METATWIN_<SUBSYSTEM>) here, as each service reads its own;
  // RunCreated then records what ran. A service process applies its own pins (PortBound says).
  try {
    const env = bus.startsWith('nats://') ? {} : process.env;
    const withRig = (exp: Experiment): Experiment => ({ ...exp, rig: resolveRig(exp, env) });
    plan = plan.kind === 'run' ? { ...plan, experiment: withRig(plan.experiment) } : { ...plan, experiments: plan.experiments.map(withRig) };
  } catch (err) {
    if (err instanceof AdapterError) throw new UsageError(`${positionals[0]}: ${err.message}`);
    throw err;
  }
  const influx = influxTargetArg(values.influx);
  if (bus === 'direct' && influx) throw new UsageError('InfluxDB is a projection of the event log, and --bus direct keeps no log: use --bus in-process (the default) or nats://…');
  const sinks = { record: values.record, influx };
  const name = plan.kind === 'run' ? plan.experiment.name : plan.name;
  const seed = plan.kind === 'run' ? plan.experiment.seed : plan.experiments[0].seed;
  const outDir = resolve(values.out ?? join('runs', `${name.replace(/[^\w.-]+/g, '_')}-seed${seed}`));
  makeOutDir(outDir);

  const bar = new ProgressBar(io.writeProgress, io.isTty);
  const interrupts = new Interrupts(onInterruptPolicy(values['on-interrupt'], io), (line) => bar.note(line));
  // A subsystem on its hardware bridge: the controller link's state, so a frozen run says why.
  const offLinks = onControllerState((target, state, reason) => bar.note(`controller ${target}: link ${state} (${reason})${state === 'down' ? ' — the run waits for it' : ''}`));
  const current: { runId?: string } = {};
  let result: ResultFile;
  try {
    if (plan.kind === 'run') {
      result = await runOne(plan.experiment, io, bar, bus, sinks, interrupts, current);
    } else {
      const started = io.clock();
      const tasks: RunResult[] = [];
      for (const [i, exp] of plan.experiments.entries()) {
        bar.task(i, plan.experiments.length, exp.name);
        tasks.push(await runOne(exp, io, bar, bus, sinks, interrupts, current));
      }
      result = { kind: 'family', name: plan.name, seed, wall_s: io.clock() - started, tasks, inOrder: tasks.filter((t) => t.summary.modesInOrder).length } satisfies FamilyResult;
    }
  } catch (err) {
    bar.done();
    if (err instanceof Detached) {
      io.write(`detached: run ${err.runId} goes on in the services; follow it with: metatwin attach ${err.runId} --log ${bus}\n`);
      return 0;
    }
    if (err instanceof RunFailedError) return writeUnfinished(err, current.runId, outDir, Boolean(values['no-report']), io.write);
    throw err;
  } finally {
    interrupts.dispose();
    offLinks();
  }
  bar.done();
  await writeResult(result, outDir, true, io.write);
  const recorded = result.kind === 'run' && bus !== 'direct' ? (result as RunResult & { run?: string }).run : undefined;
  if (recorded)
    io.write(
      `run: ${recorded} in the event log ${bus.startsWith('nats://') ? (values.record ?? bus) : (values.record ?? process.env.METATWIN_LOG ?? defaultLogDir())} (metatwin runs, replay, watch)\n`,
    );
  if (!values['no-report']) {
    const report = await writeReport(result, outDir);
    io.write(`report: ${report.html}\n`);
  }
  return 0;
}

/** A fresh, sortable run id: name, seed, UTC time and a random suffix. */
export function newRunId(exp: Experiment, now: Date = new Date()): string {
  const stamp = now.toISOString().replace(/[-:T]/g, '').slice(0, 14);
  return `${exp.name.replace(/[^A-Za-z0-9_-]+/g, '_').slice(0, 60)}-s${exp.seed}-${stamp}-${randomBytes(2).toString('hex')}`;
}

/**
 * One run, always through the four subsystems' hosts: on an in-process bus ('in-process',
 * every signal recorded; 'direct', nothing recorded — the fast path for sweeps), or on the
 * four service processes over NATS. All give bit-identical results.
 */
async function runOne(
  exp: Experiment,
  io: RunIo,
  bar: ProgressBar,
  bus: string,
  sinks: { record: string | undefined; influx: InfluxTarget | null },
  interrupts: Interrupts,
  current: { runId?: string },
): Promise<RunResult> {
  const runId = newRunId(exp);
  current.runId = runId;
  const cancelRequested = (): string | null => {
    const choice = interrupts.choice;
    if (choice === 'detach') {
      // An embedded run lives in this process: leaving it is stopping here, the log as it is (resumable).
      io.write(`\nstopped: run ${runId} is left interrupted in the event log; continue it with: metatwin resume ${runId}\n`);
      process.exit(130);
    }
    return choice === 'cancel' ? 'cancelled by the user (Ctrl-C)' : null;
  };
  if (bus === 'direct') return runEmbedded(exp, { runId, env: process.env, startedAt_ms: Date.now(), clock: io.clock, onProgress: (p) => bar.update(p), cancelRequested });
  if (bus.startsWith('nats://')) {
    let waitForNats_s: number;
    try {
      waitForNats_s = natsWait_s();
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    const distributedIo = { clock: io.clock, onProgress: (p: Progress) => bar.update(p), note: (line: string) => bar.note(line), waitForNats_s };
    const result = await runDistributed(exp, bus, runId, distributedIo, interrupts.distributed(bus, runId));
    // The services recorded the run to JetStream: make sure InfluxDB holds all of it.
    if (sinks.influx) {
      const log = await openEventLog(sinks.record ?? bus);
      try {
        await projectRecordedRun(log, runId, sinks.influx, io.write);
      } finally {
        await log.close();
      }
    }
    return result;
  }
  // Over the bus every signal is recorded: to JetStream with --record nats://…, else to local files.
  const log = await openEventLog(sinks.record, { forRecording: true });
  const live = sinks.influx ? startLiveProjection(log, runId, sinks.influx, io.write) : null;
  const recorder = new LogRecorder(log, null, Infinity, live ? (b) => live.offer(b) : null);
  // The catalogue names this process while the run is in it: should it die, `runs` says interrupted.
  await log.putEntry(runEntry(runId, { experiment: exp, mode: 'embedded', status: 'running', steps: 0 }, Date.now(), process.pid));
  try {
    const result = await runEmbedded(exp, { runId, env: process.env, startedAt_ms: Date.now(), clock: io.clock, onProgress: (p) => bar.update(p), recorder, cancelRequested });
    await recorder.flush();
    await catalogueEnd(log, runId, { experiment: exp, mode: 'embedded', status: 'finished', steps: result.steps }, Date.now());
    await live?.finish();
    return result;
  } catch (err) {
    if (err instanceof RunFailedError) {
      await recorder.flush();
      const status = err instanceof RunCancelledError ? 'cancelled' : 'aborted';
      await catalogueEnd(log, runId, { experiment: exp, mode: 'embedded', status, steps: err.assembler.lastStep + 1, reason: err.assembler.abortReason }, Date.now());
    }
    throw err;
  } finally {
    await live?.close();
    await log.close();
  }
}
