import { join, resolve } from 'node:path';
import { FileEventLog, JetStreamEventLog, ThreadedJetStreamEventLog, streamLimits, type EventLog, type StreamLimits } from '@metatwin/eventlog';
import { UsageError, natsUnreachable } from '../usage';

/** Where run logs go when no NATS is named: METATWIN_LOG_DIR, or runs/log under the working directory. */
export function defaultLogDir(): string {
  return resolve(process.env.METATWIN_LOG_DIR ?? join('runs', 'log'));
}

/**
 * Open the event log named by --log / --record: a nats:// URL (JetStream) or a directory
 * (local files). A run's recording (`forRecording`) appends to JetStream from a worker thread,
 * off the simulation's thread.
 */
export async function openEventLog(target: string | undefined, options: { forRecording?: boolean } = {}): Promise<EventLog> {
  const t = target ?? process.env.METATWIN_LOG ?? defaultLogDir();
  if (!/^(nats|tls|wss?):\/\//.test(t)) return FileEventLog.open(t);
  let limits: StreamLimits;
  try {
    limits = streamLimits(process.env);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  try {
    return await (options.forRecording ? ThreadedJetStreamEventLog.connect({ servers: t, limits }) : JetStreamEventLog.connect({ servers: t, limits }));
  } catch (err) {
    throw natsUnreachable(t, err);
  }
}
