import { join, resolve } from 'node:path';
import { FileEventLog, JetStreamEventLog, ThreadedJetStreamEventLog, streamLimits, type EventLog, type StreamLimits } from '@metatwin/eventlog';
import { ROLES, describeAuthError, isRole, natsSecurity, type NatsRole, type NatsSecurity } from '@metatwin/nats-auth';
import { UnavailableError, UsageError, natsUnreachable } from '../usage';

/**
 * The NATS credentials of this command: the role it needs (`cli` to start, cancel and read
 * runs; `recorder` to write an embedded run's log; `admin` to prune), or METATWIN_NATS_ROLE
 * when set (e.g. `observer` for a read-only account). Found as libs/nats-auth says
 * (METATWIN_NATS_CREDS_DIR, METATWIN_NATS_CREDS, …, or scripts/servers.sh's directory).
 */
export function cliSecurity(role: NatsRole = 'cli', env: NodeJS.ProcessEnv = process.env): NatsSecurity {
  const forced = env.METATWIN_NATS_ROLE;
  if (forced !== undefined && forced !== '' && !isRole(forced)) throw new UsageError(`METATWIN_NATS_ROLE must be one of ${ROLES.join(', ')}, got ${JSON.stringify(forced)}`);
  try {
    return natsSecurity(forced ? (forced as NatsRole) : role, env);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/**
 * natsUnreachable, unless NATS answered and refused these credentials (exit 2: say which), or
 * presented a certificate this client does not trust (exit 3, as unreachable: say which CA).
 */
export function natsFailure(url: string, err: unknown, security: NatsSecurity): Error {
  for (let e: unknown = err; e; e = (e as { cause?: unknown }).cause) {
    const refused = describeAuthError(e, security);
    if (refused) return new UsageError(`${url}: ${refused}`);
    const message = String((e as { message?: unknown }).message ?? e);
    if (/certificate|self.signed|CERT_|ERR_TLS/i.test(`${(e as { code?: unknown }).code ?? ''} ${message}`))
      return new UnavailableError(
        `cannot reach NATS at ${url}: its TLS certificate is not trusted (${message}); METATWIN_NATS_TLS_CA must name the CA that signed it${security.tls?.caFile ? ` (it names ${security.tls.caFile})` : ' (unset: only the system CAs are trusted)'}`,
      );
  }
  return natsUnreachable(url, err);
}

/** Where run logs go when no NATS is named: METATWIN_LOG_DIR, or runs/log under the working directory. */
export function defaultLogDir(): string {
  return resolve(process.env.METATWIN_LOG_DIR ?? join('runs', 'log'));
}

/**
 * Open the event log named by --log / --record: a nats:// URL (JetStream) or a directory
 * (local files). A run's recording (`forRecording`) appends to JetStream from a worker thread,
 * off the simulation's thread.
 */
export async function openEventLog(target: string | undefined, options: { forRecording?: boolean; role?: NatsRole } = {}): Promise<EventLog> {
  const t = target ?? process.env.METATWIN_LOG ?? defaultLogDir();
  if (!/^(nats|tls|wss?):\/\//.test(t)) return FileEventLog.open(t);
  let limits: StreamLimits;
  try {
    limits = streamLimits(process.env);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  // A recording appends every source's signals (the four deciders run in this process).
  const security = cliSecurity(options.role ?? (options.forRecording ? 'recorder' : 'cli'));
  try {
    return await (options.forRecording ? ThreadedJetStreamEventLog.connect({ servers: t, limits, security }) : JetStreamEventLog.connect({ servers: t, limits, security }));
  } catch (err) {
    throw natsFailure(t, err, security);
  }
}
