import { streamLimits, type StreamLimits } from '@metatwin/eventlog';
import { influxTarget, type InfluxTarget } from '@metatwin/influx';
import { natsSecurity, type NatsSecurity } from '@metatwin/nats-auth';
import type { Source } from '@metatwin/contracts';

/** Service configuration from the environment, read once at the edge. */
export interface ServiceConfig {
  /** NATS for signals (log-first: through the JetStream event log on this server) and request/reply. */
  readonly natsUrl: string;
  /** InfluxDB for health figures (every service) and the log's projection (measurement); null: none. */
  readonly influx: InfluxTarget | null;
  /** Retention of the event-log stream (METATWIN_LOG_MAX_AGE_S, METATWIN_LOG_MAX_BYTES); empty: none. */
  readonly logLimits: StreamLimits;
  /**
   * The service's NATS credentials and TLS: its own role's (libs/nats-auth), so the server lets
   * it publish its own signals and no other service's. From METATWIN_NATS_CREDS_DIR (or
   * METATWIN_NATS_CREDS, METATWIN_NATS_USER…), METATWIN_NATS_TLS_*.
   */
  readonly security?: NatsSecurity;
}

/** Variables of earlier versions that no longer mean anything: named, so a deployment that sets them learns why. */
const GONE: Readonly<Record<string, string>> = {
  METATWIN_RECORD: 'services deliver every signal through the event log on METATWIN_NATS_URL (log-first), so there is no separate recording target and no "off"',
  METATWIN_FLUSH_MS: 'each service appends its signals as soon as they are emitted (log-first); there is no flush interval',
};

/** `service`: whose credentials to find (its role); without it the connection is anonymous. */
export function serviceConfig(env: NodeJS.ProcessEnv = process.env, service?: Source): ServiceConfig {
  for (const [name, why] of Object.entries(GONE)) if (env[name] !== undefined) throw new RangeError(`${name} is no longer read: ${why}; unset it`);
  const natsUrl = env.METATWIN_NATS_URL ?? 'nats://127.0.0.1:4222';
  if (!/^(nats|tls|wss?):\/\//.test(natsUrl)) throw new RangeError(`METATWIN_NATS_URL must be a nats:// URL, got ${JSON.stringify(natsUrl)}`);
  return { natsUrl, influx: influxTarget(undefined, env), logLimits: streamLimits(env), ...(service ? { security: natsSecurity(service, env) } : {}) };
}
