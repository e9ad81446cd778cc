/**
 * A distributed run from the command line: the four services already listen on NATS; this
 * asks the supervisor to start the run, follows the supervisor's and the measurement's part
 * of its event log for progress (few records: the window of steps, the tests), and once the
 * supervisor's RunFinished or RunAborted is stored folds result.json from the whole log —
 * log-first, what the services did is what the log holds, and every source's signals of the
 * run are stored before the supervisor can end it.
 *
 * A NATS outage is a pause: the services freeze learning and drop nothing, and this says
 * "waiting for NATS…" and follows on from the log when it is back; after `waitForNats_s`
 * without NATS it gives up (exit 3), leaving the run to the services.
 */
import { LogBus } from '@metatwin/bus';
import { JetStreamEventLog } from '@metatwin/eventlog';
import type { Experiment, Progress, RunResult } from '@metatwin/experiments';
import { START_RUN } from '@metatwin/service-host';
import { RUN_FOLD_TYPES, RunAssembler, RunCancelledError, RunFailedError, StepPacer, foldRunSignals, onHardware, readRunSignals } from '@metatwin/services';
import { ErrorCode, JSONCodec, type NatsConnection } from 'nats';
import { requestService, type NatsRole } from '@metatwin/nats-auth';
import { UnavailableError, UsageError } from '../usage';
import { cliSecurity, natsFailure } from './event-log';

export interface DistributedIo {
  readonly clock: () => number;
  readonly onProgress: (p: Progress) => void;
  /** One line about the connection (waiting for NATS, NATS back). */
  readonly note: (line: string) => void;
  /** How long to wait for NATS during an outage before giving up (s). */
  readonly waitForNats_s: number;
}

/** Default for METATWIN_NATS_WAIT_S: how long a CLI waits out a NATS outage. */
export const NATS_WAIT_S = 60;

export function natsWait_s(env: NodeJS.ProcessEnv = process.env): number {
  const v = env.METATWIN_NATS_WAIT_S;
  if (v === undefined || v === '') return NATS_WAIT_S;
  const n = Number(v);
  if (!(n > 0)) throw new RangeError(`METATWIN_NATS_WAIT_S must be a positive number of seconds, got ${JSON.stringify(v)}`);
  return n;
}

/**
 * Rejects once NATS has been away for `wait_s` without coming back, telling the user on the
 * way; `stop()` ends the watch.
 */
function watchOutages(nc: NatsConnection, url: string, runId: string, io: DistributedIo): { gaveUp: Promise<never>; stop: () => void } {
  let timer: NodeJS.Timeout | null = null;
  let stopped = false;
  let reject: (err: Error) => void = () => undefined;
  const gaveUp = new Promise<never>((_, r) => (reject = r));
  gaveUp.catch(() => undefined);
  void (async () => {
    for await (const s of nc.status()) {
      if (stopped) return;
      if (s.type === 'disconnect' && timer === null) {
        io.note(`waiting for NATS at ${url}… (learning is frozen, nothing is lost; giving up after ${io.waitForNats_s} s)`);
        timer = setTimeout(
          () =>
            reject(
              new UnavailableError(
                `NATS at ${url} has been unreachable for ${io.waitForNats_s} s (METATWIN_NATS_WAIT_S): run ${runId} is kept in the event log and the services go on with it when NATS is back; follow it with metatwin watch ${runId} --log ${url}`,
              ),
            ),
          io.waitForNats_s * 1000,
        );
      } else if (s.type === 'reconnect' && timer !== null) {
        clearTimeout(timer);
        timer = null;
        io.note(`NATS at ${url} is back: following the run from the event log`);
      }
    }
  })();
  return {
    gaveUp,
    stop: () => {
      stopped = true;
      if (timer !== null) clearTimeout(timer);
    },
  };
}

/**
 * Follow a run in the log until the supervisor's end marker (finished, aborted, cancelled)
 * is stored, then fold result.json from the whole log. `start` is called once the follower
 * listens (a new run is started there); `fromStreamSeq` 1 follows a run from its beginning.
 */
export async function followRun(
  log: JetStreamEventLog,
  natsUrl: string,
  runId: string,
  io: DistributedIo,
  options: { fromStreamSeq: number; steps?: number; start?: () => Promise<void>; interrupted?: Promise<never>; pacer?: StepPacer },
): Promise<RunAssembler> {
  const started = io.clock();
  const bus = new LogBus({ log, service: 'observer' });
  const outages = watchOutages(log.connection, natsUrl, runId, io);
  // Progress: the steps the supervisor has sent (at most its window ahead of the edge) and the tests read out.
  const progress = new RunAssembler();
  let sent = 0;
  let lastReport = 0;
  const ended = new Promise<void>((resolve) => {
    bus.subscribe(
      ['supervisor', 'measurement'],
      (s) => {
        if (s.type === 'StepStarted') sent = Math.max(sent, s.data.step);
        else progress.fold(s);
        if (progress.status !== 'running' && (s.type === 'RunFinished' || s.type === 'RunAborted' || s.type === 'RunCancelled')) resolve();
        const now = io.clock();
        const steps = options.steps ?? progress.experiment?.schedule.steps ?? 0;
        if (now - lastReport > 0.1) {
          lastReport = now;
          const last = progress.log[progress.log.length - 1];
          io.onProgress({ step: sent, steps, t_s: sent * (progress.experiment?.schedule.t_h_s ?? 0), mse: last ? last.mse : NaN, wall_s: now - started });
        }
      },
      [...RUN_FOLD_TYPES, 'StepStarted'],
    );
  });
  // A run on hardware: each acknowledged step timed as the log delivers it.
  const pacer = options.pacer;
  if (pacer) bus.subscribe(['edge-physics'], (s) => pacer.step(s), ['GatesEvolved']);
  try {
    await bus.start({ fromStreamSeq: options.fromStreamSeq, runId, perSource: true });
    await options.start?.();
    await Promise.race([ended, outages.gaveUp, ...(options.interrupted ? [options.interrupted] : [])]);
    // result.json is a fold of the log, not of live traffic.
    return foldRunSignals(await readRunSignals(log, runId));
  } finally {
    outages.stop();
    await bus.close(0);
  }
}

/** Ask the supervisor over request/reply (Nest's {pattern, data, id} packets); its refusal is a RunFailedError, no answer exit 3. */
export async function askSupervisor(nc: NatsConnection, natsUrl: string, pattern: string, data: Record<string, unknown>): Promise<void> {
  const codec = JSONCodec<{ response?: unknown; err?: unknown }>();
  const reply = await requestService(nc, 'supervisor', pattern, codec.encode({ pattern, data, id: String(data.runId) } as never), 10_000).catch((err: unknown) => {
    const code = (err as { code?: unknown }).code;
    if (code === ErrorCode.NoResponders) throw new UnavailableError(`no supervisor answers on ${natsUrl} (${pattern}): start the four services (metatwin up --nats ${natsUrl})`);
    if (code === ErrorCode.Timeout) throw new UnavailableError(`the supervisor on ${natsUrl} did not answer ${pattern} within 10 s`);
    if (code === ErrorCode.PermissionsViolation)
      throw new UsageError(
        `NATS on ${natsUrl} does not let this role ask ${pattern} (${(err as Error).message}): run control needs the cli role's credentials (METATWIN_NATS_ROLE, METATWIN_NATS_CREDS_DIR)`,
      );
    throw err;
  });
  const answer = codec.decode(reply.data);
  if (answer.err) throw new SupervisorRefusal(`the supervisor refused: ${typeof answer.err === 'string' ? answer.err : JSON.stringify(answer.err)}`);
}

export class SupervisorRefusal extends Error {
  override readonly name = 'SupervisorRefusal';
}

/** The log on `natsUrl`, as `role` (cli: start, cancel, read; recorder: also write an embedded run's log). */
export async function connectLog(natsUrl: string, role: NatsRole = 'cli'): Promise<JetStreamEventLog> {
  const security = cliSecurity(role);
  try {
    return await JetStreamEventLog.connect({ servers: natsUrl, reconnectForever: true, timeout_ms: 1000, name: 'metatwin-cli', security });
  } catch (err) {
    throw natsFailure(natsUrl, err, security);
  }
}

/**
 * Start a run on the services and follow it to its end. `interrupted` (Ctrl-C) settles the
 * wait early: the caller then cancels or detaches.
 */
export async function runDistributed(
  exp: Experiment,
  natsUrl: string,
  runId: string,
  io: DistributedIo,
  interrupted?: Promise<never>,
): Promise<RunResult & { run: string; mode: 'embedded' | 'distributed' }> {
  const started = io.clock();
  const log = await connectLog(natsUrl);
  // The services bind what the run's rig says (a service's own pins are not seen here).
  const pacer = onHardware(exp, {}) ? new StepPacer(exp, io.clock, started) : undefined;
  try {
    const assembler = await followRun(log, natsUrl, runId, io, {
      ...(pacer ? { pacer } : {}),
      // The run is new: everything of it is stored after this point.
      fromStreamSeq: (await log.lastStreamSequence()) + 1,
      steps: exp.schedule.steps,
      ...(interrupted ? { interrupted } : {}),
      start: async () => {
        try {
          await askSupervisor(log.connection, natsUrl, START_RUN, { runId, experiment: exp, startedAt_ms: Date.now() });
        } catch (err) {
          if (err instanceof SupervisorRefusal) throw new RunFailedError(err.message.replace('refused:', 'refused the run:'), new RunAssembler());
          throw err;
        }
      },
    });
    if (assembler.status === 'cancelled') throw new RunCancelledError(`run ${runId} cancelled: ${assembler.abortReason ?? ''}`, assembler);
    if (assembler.status !== 'finished') throw new RunFailedError(`run ${runId} ${assembler.status}: ${assembler.abortReason ?? ''}`, assembler);
    const result = assembler.result(runId, io.clock() - started);
    // The pulses were timed in the services' processes: their overrun is not known here.
    return pacer ? { ...result, pacing: pacer.pacing(undefined) } : result;
  } finally {
    await log.close();
  }
}
