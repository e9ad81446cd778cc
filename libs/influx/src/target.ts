/**
 * Where the projection writes: `--influx http://host:8086[/database]` or the environment
 * (METATWIN_INFLUX_URL, METATWIN_INFLUX_DB, METATWIN_INFLUX_USER, METATWIN_INFLUX_PASSWORD).
 * Read once at the edge; a bad value is an error that names the variable or flag.
 */
import { DEFAULT_DATABASE } from '@metatwin/projection';

export interface InfluxTarget {
  readonly protocol: 'http' | 'https';
  readonly host: string;
  readonly port: number;
  readonly database: string;
  readonly username?: string;
  readonly password?: string;
  /** For messages: the URL without credentials. */
  readonly url: string;
}

export class InfluxTargetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InfluxTargetError';
  }
}

const DATABASE_NAME = /^[A-Za-z0-9_-]+$/;

/** The target named by `flag` (a URL) or METATWIN_INFLUX_URL, or null when neither is set. */
export function influxTarget(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): InfluxTarget | null {
  const from = flag !== undefined ? '--influx' : 'METATWIN_INFLUX_URL';
  const text = flag ?? env.METATWIN_INFLUX_URL;
  if (text === undefined || text === '') return null;
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw new InfluxTargetError(`${from} must be an http:// or https:// URL such as http://127.0.0.1:8086, got ${JSON.stringify(text)}`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new InfluxTargetError(`${from} must use http:// or https://, got ${JSON.stringify(text)}`);
  const path = u.pathname.replace(/^\/+|\/+$/g, '');
  const database = path || env.METATWIN_INFLUX_DB || DEFAULT_DATABASE;
  if (!DATABASE_NAME.test(database))
    throw new InfluxTargetError(`InfluxDB database name must be letters, digits, _ or -, got ${JSON.stringify(database)} (from ${path ? from : 'METATWIN_INFLUX_DB'})`);
  const protocol = u.protocol === 'https:' ? 'https' : 'http';
  const port = u.port ? Number(u.port) : protocol === 'https' ? 443 : 8086;
  const username = decodeURIComponent(u.username) || env.METATWIN_INFLUX_USER || undefined;
  const password = decodeURIComponent(u.password) || env.METATWIN_INFLUX_PASSWORD || undefined;
  return { protocol, host: u.hostname, port, database, username, password, url: `${protocol}://${u.hostname}:${port}/${database}` };
}
