import { join, resolve } from 'node:path';
import { FileEventLog, JetStreamEventLog, type EventLog } from '@metatwin/eventlog';

/** Where run logs go when no NATS is named: METATWIN_LOG_DIR, or runs/log under the working directory. */
export function defaultLogDir(): string {
  return resolve(process.env.METATWIN_LOG_DIR ?? join('runs', 'log'));
}

/** Open the event log named by --log / --record: a nats:// URL (JetStream) or a directory (local files). */
export async function openEventLog(target: string | undefined): Promise<EventLog> {
  const t = target ?? process.env.METATWIN_LOG ?? defaultLogDir();
  if (/^(nats|tls|wss?):\/\//.test(t)) return JetStreamEventLog.connect({ servers: t });
  return FileEventLog.open(t);
}
