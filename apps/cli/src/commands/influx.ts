/**
 * The command line's side of the InfluxDB projection: project a run while it runs (embedded),
 * after it ran (distributed, or `metatwin influx rebuild <run>`), always from the event log,
 * so InfluxDB can be stopped, emptied or replaced and filled again.
 */
import { parseArgs } from 'node:util';
import type { EventLog, LogBatch } from '@metatwin/eventlog';
import { InfluxAuthError, InfluxSink, InfluxTargetError, LogProjector, influxPasswords, influxTarget, provisionInflux, type InfluxTarget } from '@metatwin/influx';
import { DEFAULT_DATABASE } from '@metatwin/projection';
import { UsageError } from '../usage';
import { openEventLog } from './event-log';

/** The InfluxDB target from `--influx` or METATWIN_INFLUX_URL (null: none); a bad value is a usage error. */
export function influxTargetArg(flag: string | undefined): InfluxTarget | null {
  try {
    return influxTarget(flag);
  } catch (err) {
    if (err instanceof InfluxTargetError) throw new UsageError(err.message);
    throw err;
  }
}

/** How long to wait at the end of a run for InfluxDB to take the last points (METATWIN_INFLUX_WAIT_S, default 30 s). */
function waitSeconds(): number {
  const v = Number(process.env.METATWIN_INFLUX_WAIT_S ?? 30);
  if (!(v >= 0)) throw new UsageError(`METATWIN_INFLUX_WAIT_S must be a number of seconds ≥ 0, got ${JSON.stringify(process.env.METATWIN_INFLUX_WAIT_S)}`);
  return v;
}

function openSink(target: InfluxTarget, write: (s: string) => void): InfluxSink {
  let lastWarning = 0;
  return new InfluxSink(target, {
    onError: (err) => {
      if (Date.now() - lastWarning < 5000) return;
      lastWarning = Date.now();
      // An auth error names the URL and the user itself.
      write(`${err instanceof InfluxAuthError ? err.message : `InfluxDB ${target.url}: ${err.message}`} — retrying (the event log keeps every signal)\n`);
    },
  });
}

async function drained(sink: InfluxSink, projector: LogProjector, runId: string, write: (s: string) => void): Promise<boolean> {
  const ok = await sink.flush(waitSeconds() * 1000);
  if (!ok) write(`InfluxDB ${sink.target.url} did not take ${sink.stats.pending} points of run ${runId} in time; the event log holds the run: metatwin influx rebuild ${runId}\n`);
  else write(`influx: ${projector.points} points of run ${runId} in ${sink.target.url}\n`);
  return ok;
}

export interface LiveProjection {
  /** Hand over a batch the log has stored (never waits; a batch dropped when behind is read from the log later). */
  offer(batch: LogBatch): void;
  /** After the run: catch up with the log and wait for InfluxDB. */
  finish(): Promise<boolean>;
  close(): Promise<void>;
}

export function startLiveProjection(log: EventLog, runId: string, target: InfluxTarget, write: (s: string) => void): LiveProjection {
  const sink = openSink(target, write);
  const projector = new LogProjector({ log, sink, onWarning: (m) => write(`influx: ${m}\n`) });
  return {
    offer: (b) => {
      if (b.runId === runId) projector.offer(b);
    },
    finish: async () => {
      await projector.idle();
      await projector.catchUp(runId);
      return drained(sink, projector, runId, write);
    },
    close: () => sink.close(),
  };
}

/** Project a whole recorded run (idempotent: points already in InfluxDB are written over with the same values). */
export async function projectRecordedRun(log: EventLog, runId: string, target: InfluxTarget, write: (s: string) => void): Promise<boolean> {
  const sink = openSink(target, write);
  try {
    const projector = new LogProjector({ log, sink, onWarning: (m) => write(`influx: ${m}\n`) });
    await projector.rebuild(runId);
    return await drained(sink, projector, runId, write);
  } finally {
    await sink.close();
  }
}

/**
 * `metatwin influx users --dir DIR --influx http://host:port[/database]`: the admin, writer and
 * reader of an influxd with auth enabled, their passwords in DIR/<user>.password (0600; kept
 * when present, so a second call changes nothing), and the database with the writer's WRITE
 * and the reader's READ. scripts/servers.sh calls it after starting influxd.
 */
async function usersCommand(argv: string[], write: (s: string) => void): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { dir: { type: 'string' }, influx: { type: 'string' } }, strict: true });
  if (!values.dir || !values.influx) throw new UsageError('influx users needs --dir DIR (where the passwords go) and --influx http://host:port[/database]');
  let url: URL;
  try {
    url = new URL(values.influx);
  } catch {
    throw new UsageError(`--influx must be an http:// or https:// URL, got ${JSON.stringify(values.influx)}`);
  }
  const database = url.pathname.replace(/^\/+|\/+$/g, '') || process.env.METATWIN_INFLUX_DB || DEFAULT_DATABASE;
  const users = influxPasswords(values.dir);
  await provisionInflux(`${url.protocol}//${url.host}`, users, [database]);
  write(`influx: users admin, writer (WRITE on ${database}) and reader (READ on ${database}) at ${url.protocol}//${url.host}; passwords in ${values.dir}\n`);
  return 0;
}

/** `metatwin influx rebuild <run> [--log DIR|nats://…] [--influx http://…]`, `metatwin influx users --dir DIR --influx URL` */
export async function influxCommand(argv: string[], write: (s: string) => void): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'users') return usersCommand(rest, write);
  if (sub !== 'rebuild')
    throw new UsageError(
      `influx: unknown subcommand ${JSON.stringify(sub ?? '')}; use: metatwin influx rebuild <run> [--log DIR|nats://…] [--influx http://…], or metatwin influx users --dir DIR --influx URL`,
    );
  const { values, positionals } = parseArgs({ args: rest, options: { log: { type: 'string' }, influx: { type: 'string' } }, strict: true, allowPositionals: true });
  if (positionals.length !== 1) throw new UsageError('influx rebuild needs exactly one run id (see metatwin runs)');
  const target = influxTargetArg(values.influx);
  if (!target) throw new UsageError('influx rebuild needs a target: --influx http://host:8086[/database] or METATWIN_INFLUX_URL');
  const runId = positionals[0];
  const log = await openEventLog(values.log);
  try {
    if (!(await log.runIds()).includes(runId))
      throw new UsageError(`run ${JSON.stringify(runId)} is not in the event log ${values.log ?? process.env.METATWIN_LOG ?? 'runs/log'} (see metatwin runs)`);
    return (await projectRecordedRun(log, runId, target, write)) ? 0 : 1;
  } finally {
    await log.close();
  }
}
