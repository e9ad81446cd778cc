/**
 * Runs a user controls, from the event log: `result` rebuilds result.json and the report
 * from the log alone; `attach` follows a run on the services to its end; `cancel` stops a
 * run (it is recorded as cancelled); `resume` goes on with a cancelled or interrupted run
 * from where its log ends — embedded runs in this process, distributed runs on the services.
 */
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { stepTime_ns, toRecord, type Experiment, type Signal } from '@metatwin/contracts';
import type { EventLog } from '@metatwin/eventlog';
import { RESUME_RUN } from '@metatwin/service-host';
import { LogRecorder, RunAssembler, RunCancelledError, foldRunSignals, RunFailedError, catalogueEnd, processGone, readRunSignals, runEmbedded, runEntry } from '@metatwin/services';
import { Interrupts, cancelOnServices } from '../interrupts';
import { ProgressBar } from '../progress';
import { UsageError } from '../usage';
import { askSupervisor, connectLog, followRun, natsWait_s, type DistributedIo } from './distributed';
import { openEventLog } from './event-log';
import { makeOutDir, writeResult, writeUnfinished } from './outputs';

const isNats = (target: string | undefined): target is string => target !== undefined && /^(nats|tls|wss?):\/\//.test(target);
const OUTPUT_OPTIONS = { log: { type: 'string' }, out: { type: 'string' }, 'no-report': { type: 'boolean' } } as const;

function oneRun(command: string, positionals: string[]): string {
  if (positionals.length !== 1) throw new UsageError(`${command} needs exactly one run id (see \`metatwin runs\`)`);
  return positionals[0];
}

/** The run id and the output options of result, attach and resume. */
function outputArgs(command: string, argv: string[]): { runId: string; target: string | undefined; out: string | undefined; noReport: boolean } {
  const { values, positionals } = parseArgs({ args: argv, options: OUTPUT_OPTIONS, strict: true, allowPositionals: true });
  return { runId: oneRun(command, positionals), target: values.log ?? process.env.METATWIN_LOG, out: values.out, noReport: Boolean(values['no-report']) };
}

const stderrBar = (): ProgressBar => new ProgressBar((s) => void process.stderr.write(s), Boolean(process.stderr.isTTY));

function outDirFor(exp: Experiment, out: string | undefined): string {
  return makeOutDir(resolve(out ?? join('runs', `${exp.name.replace(/[^\w.-]+/g, '_')}-seed${exp.seed}`)));
}

/** The run's signals from the log, and its RunCreated; a run the log does not hold is a usage error. */
async function loggedRun(log: EventLog, runId: string): Promise<{ signals: Signal[]; created: Signal<'RunCreated'> }> {
  if (!(await log.runIds()).includes(runId)) throw new UsageError(`no run "${runId}" in the log (see \`metatwin runs\`)`);
  const signals = await readRunSignals(log, runId);
  const created = signals.find((s): s is Signal<'RunCreated'> => s.type === 'RunCreated');
  if (!created) throw new UsageError(`run "${runId}" has no RunCreated in the log: it cannot be read`);
  return { signals, created };
}

/** Where a run stands (status, last step): the fold without its final gates, which cancel and resume do not need. */
function progressOf(signals: ReadonlyArray<Signal>): RunAssembler {
  const assembler = new RunAssembler();
  for (const s of signals) assembler.fold(s);
  return assembler;
}

/** What a followed run left: result.json when it finished, else what was done (exit 130 cancelled, 1 aborted). */
async function writeFollowed(assembler: RunAssembler, runId: string, outDir: string, noReport: boolean, write: (s: string) => void): Promise<number> {
  if (assembler.status === 'finished') {
    await writeResult(assembler.result(runId, 0), outDir, noReport, write);
    return 0;
  }
  const reason = `run ${runId} ${assembler.status}: ${assembler.abortReason ?? ''}`;
  return writeUnfinished(assembler.status === 'cancelled' ? new RunCancelledError(reason, assembler) : new RunFailedError(reason, assembler), runId, outDir, noReport, write);
}

const cliIo = (bar: ProgressBar): DistributedIo => ({
  clock: () => performance.now() / 1000,
  onProgress: (p) => bar.update(p),
  note: (l) => bar.note(l),
  waitForNats_s: natsWait_s(),
});

/** `metatwin result <run> [--log DIR|nats://…] [--out DIR] [--no-report]` */
export async function resultCommand(argv: string[], write: (s: string) => void): Promise<number> {
  const { runId, target, out, noReport } = outputArgs('result', argv);
  const log = await openEventLog(target);
  try {
    const { signals, created } = await loggedRun(log, runId);
    const assembler = foldRunSignals(signals);
    if (assembler.log.length === 0) throw new UsageError(`run ${runId} has no test step read out yet: there is nothing to build result.json from`);
    await writeResult(assembler.result(runId, 0), outDirFor(created.data.experiment, out), noReport, write);
    if (assembler.status !== 'finished') write(`note: run ${runId} is ${assembler.status}: result.json holds what its log has so far\n`);
    return 0;
  } finally {
    await log.close();
  }
}

/** `metatwin attach <run> --log nats://… [--out DIR] [--no-report]`: follow a run on the services to its end. */
export async function attachCommand(argv: string[], write: (s: string) => void): Promise<number> {
  const { runId, target, out, noReport } = outputArgs('attach', argv);
  if (!isNats(target))
    throw new UsageError(
      'attach follows a run on the services: name their NATS with --log nats://…; an embedded run lives in the process running it (metatwin watch follows its log)',
    );
  const log = await connectLog(target);
  const bar = stderrBar();
  try {
    const { created } = await loggedRun(log, runId);
    if (created.data.mode !== 'distributed')
      throw new UsageError(`run ${runId} is embedded: it ran in the process that started it (metatwin resume ${runId} --log ${target} goes on with it)`);
    const assembler = await followRun(log, target, runId, cliIo(bar), { fromStreamSeq: 1 });
    bar.done();
    return await writeFollowed(assembler, runId, outDirFor(created.data.experiment, out), noReport, write);
  } finally {
    await log.close();
  }
}

/** `metatwin cancel <run> [--log DIR|nats://…]` */
export async function cancelCommand(argv: string[], write: (s: string) => void): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, options: { log: { type: 'string' } }, strict: true, allowPositionals: true });
  const runId = oneRun('cancel', positionals);
  const reason = 'cancelled by the user (metatwin cancel)';
  // recorder: an interrupted embedded run's cancel is appended to its log as its supervisor would.
  const log = await openEventLog(values.log, { role: 'recorder' });
  try {
    const { signals, created } = await loggedRun(log, runId);
    const assembler = progressOf(signals);
    if (assembler.status !== 'running') throw new UsageError(`run ${runId} is ${assembler.status} already`);
    const entry = (await log.entries()).find((e) => e.run === runId);
    if (created.data.mode === 'distributed') {
      const target = values.log ?? process.env.METATWIN_LOG ?? '';
      await cancelOnServices(target, runId, reason);
      write(`cancel requested: run ${runId} stops after the steps already sent (metatwin attach ${runId} --log ${target} writes its result)\n`);
      return 0;
    }
    if (entry?.pid !== undefined && !processGone(entry)) {
      // The embedded run is alive in another process: it cancels on SIGTERM (as on Ctrl-C, without asking).
      process.kill(entry.pid, 'SIGTERM');
      write(`asked process ${entry.pid}, which runs ${runId}, to cancel it\n`);
      return 0;
    }
    // Its process is gone (interrupted): record the cancel as its supervisor would have.
    const exp = created.data.experiment;
    let seq = 1; // after the supervisor's last (a loop: a long run has more signals than a call has room for arguments)
    for (const s of signals) if (s.meta.source === 'supervisor' && s.meta.seq >= seq) seq = s.meta.seq + 1;
    const step = assembler.lastStep + 1;
    const cancelled: Signal = { type: 'RunCancelled', meta: { ...created.meta, seq, t_ns: stepTime_ns(step, exp.schedule.t_h_s) }, data: { step, reason } };
    await log.append({ runId, source: 'supervisor', firstSeq: seq, lastSeq: seq, records: [toRecord(cancelled)] });
    await catalogueEnd(log, runId, { experiment: exp, mode: 'embedded', status: 'cancelled', steps: step, reason }, Date.now());
    write(`run ${runId} (interrupted at step ${step}) recorded as cancelled; metatwin resume ${runId} goes on with it\n`);
    return 0;
  } finally {
    await log.close();
  }
}

/** `metatwin resume <run> [--log DIR|nats://…] [--out DIR] [--no-report]` */
export async function resumeCommand(argv: string[], write: (s: string) => void): Promise<number> {
  const { runId, target, out, noReport } = outputArgs('resume', argv);
  const bar = stderrBar();
  if (isNats(target)) {
    // recorder: an embedded run goes on in this process, appending every source's signals.
    const log = await connectLog(target, 'recorder');
    try {
      const { signals, created } = await loggedRun(log, runId);
      if (created.data.mode === 'distributed') {
        const assembler = await followRun(log, target, runId, cliIo(bar), {
          fromStreamSeq: (await log.lastStreamSequence()) + 1,
          start: () => askSupervisor(log.connection, target, RESUME_RUN, { runId }),
        });
        bar.done();
        return await writeFollowed(assembler, runId, outDirFor(created.data.experiment, out), noReport, write);
      }
      return await resumeEmbedded(log, runId, signals, created, out, noReport, bar, write);
    } finally {
      await log.close();
    }
  }
  const log = await openEventLog(target, { forRecording: true });
  try {
    const { signals, created } = await loggedRun(log, runId);
    return await resumeEmbedded(log, runId, signals, created, out, noReport, bar, write);
  } finally {
    await log.close();
  }
}

/** Go on with an embedded run in this process, appending to its log. */
async function resumeEmbedded(
  log: EventLog,
  runId: string,
  signals: Signal[],
  created: Signal<'RunCreated'>,
  out: string | undefined,
  noReport: boolean,
  bar: ProgressBar,
  write: (s: string) => void,
): Promise<number> {
  const exp = created.data.experiment;
  const { status, lastStep } = progressOf(signals);
  if (status === 'finished' || status === 'aborted') throw new UsageError(`run ${runId} ${status}: only a cancelled or interrupted run can be resumed`);
  const entry = (await log.entries()).find((e) => e.run === runId);
  if (status === 'running' && entry?.pid !== undefined && !processGone(entry)) throw new UsageError(`run ${runId} is running in process ${entry.pid}`);
  const outDir = outDirFor(exp, out);
  const recorder = new LogRecorder(log, null, Infinity);
  const interrupts = new Interrupts('cancel', (l) => bar.note(l));
  await log.putEntry(runEntry(runId, { experiment: exp, mode: 'embedded', status: 'running', steps: lastStep + 1 }, Date.now(), process.pid));
  try {
    const result = await runEmbedded(exp, {
      runId,
      resume: signals,
      recorder,
      clock: () => performance.now() / 1000,
      onProgress: (p) => bar.update(p),
      cancelRequested: () => (interrupts.choice === null ? null : 'cancelled by the user (Ctrl-C)'),
    });
    await recorder.flush();
    bar.done();
    await catalogueEnd(log, runId, { experiment: exp, mode: 'embedded', status: 'finished', steps: result.steps }, Date.now());
    await writeResult(result, outDir, noReport, write);
    return 0;
  } catch (err) {
    bar.done();
    if (!(err instanceof RunFailedError)) throw err;
    await recorder.flush();
    const cancelled = err instanceof RunCancelledError;
    await catalogueEnd(
      log,
      runId,
      { experiment: exp, mode: 'embedded', status: cancelled ? 'cancelled' : 'aborted', steps: err.assembler.lastStep + 1, reason: err.assembler.abortReason },
      Date.now(),
    );
    return writeUnfinished(err, runId, outDir, noReport, write);
  } finally {
    interrupts.dispose();
  }
}
