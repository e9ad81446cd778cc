import { influxTarget, type InfluxTarget } from '@metatwin/influx';

/** Service configuration from the environment, read once at the edge. */
export interface ServiceConfig {
  /** NATS for signals and request/reply. */
  readonly natsUrl: string;
  /** Where each service records the signals it emits: a nats:// URL (JetStream) or 'off'. */
  readonly record: string;
  /** Milliseconds between event-log flushes. */
  readonly flushEvery_ms: number;
  /** InfluxDB for health figures (every service) and the log's projection (measurement); null: none. */
  readonly influx: InfluxTarget | null;
}

export function serviceConfig(env: NodeJS.ProcessEnv = process.env): ServiceConfig {
  const natsUrl = env.METATWIN_NATS_URL ?? 'nats://127.0.0.1:4222';
  const flush = Number(env.METATWIN_FLUSH_MS ?? 20);
  if (!/^(nats|tls|wss?):\/\//.test(natsUrl)) throw new RangeError(`METATWIN_NATS_URL must be a nats:// URL, got ${JSON.stringify(natsUrl)}`);
  if (!(flush > 0)) throw new RangeError(`METATWIN_FLUSH_MS must be a positive number of milliseconds, got ${JSON.stringify(env.METATWIN_FLUSH_MS)}`);
  return { natsUrl, record: env.METATWIN_RECORD ?? natsUrl, flushEvery_ms: flush, influx: influxTarget(undefined, env) };
}
