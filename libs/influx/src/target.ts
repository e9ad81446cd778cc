/**
 * Where the projection writes: `--influx http://host:8086[/database]` or the environment
 * (METATWIN_INFLUX_URL, METATWIN_INFLUX_DB). Read once at the edge; a bad value is an error
 * that names the variable or flag.
 *
 * Who writes (InfluxDB with auth-enabled), first match wins:
 *   METATWIN_INFLUX_USER + METATWIN_INFLUX_PASSWORD or METATWIN_INFLUX_PASSWORD_FILE;
 *   user:password in the URL (kept for old set-ups; it shows in `ps`, so prefer the variables);
 *   METATWIN_INFLUX_CREDS_DIR, else .tmp/servers/influx-auth when scripts/servers.sh made it:
 *     the `writer` user with DIR/writer.password;
 *   nothing: an anonymous client, which a server with auth refuses.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DEFAULT_DATABASE } from '@metatwin/projection';

/** The passwords directory scripts/servers.sh and `metatwin up` write, relative to the working directory. */
export const DEV_INFLUX_CREDENTIALS_DIR = join('.tmp', 'servers', 'influx-auth');

export interface InfluxTarget {
  readonly protocol: 'http' | 'https';
  readonly host: string;
  readonly port: number;
  readonly database: string;
  readonly username?: string;
  readonly password?: string;
  /** Where the credentials came from, for messages (never the secret). */
  readonly from?: string;
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
export function influxTarget(flag: string | undefined, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): InfluxTarget | null {
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
  const url = `${protocol}://${u.hostname}:${port}/${database}`;
  return { protocol, host: u.hostname, port, database, ...credentials(u, env, cwd), url };
}

function credentials(u: URL, env: NodeJS.ProcessEnv, cwd: string): Pick<InfluxTarget, 'username' | 'password' | 'from'> {
  const user = env.METATWIN_INFLUX_USER;
  if (user) {
    const file = env.METATWIN_INFLUX_PASSWORD_FILE;
    const password = file ? readPassword(resolve(cwd, file), 'METATWIN_INFLUX_PASSWORD_FILE') : env.METATWIN_INFLUX_PASSWORD;
    if (!password) throw new InfluxTargetError('METATWIN_INFLUX_USER is set but neither METATWIN_INFLUX_PASSWORD nor METATWIN_INFLUX_PASSWORD_FILE');
    return { username: user, password, from: 'METATWIN_INFLUX_USER' };
  }
  if (u.username) return { username: decodeURIComponent(u.username), password: decodeURIComponent(u.password), from: 'the URL' };
  const named = env.METATWIN_INFLUX_CREDS_DIR;
  if (named && !isDirectory(resolve(cwd, named))) throw new InfluxTargetError(`METATWIN_INFLUX_CREDS_DIR=${named} is not a directory`);
  const dir = resolve(cwd, named || DEV_INFLUX_CREDENTIALS_DIR);
  const file = join(dir, 'writer.password');
  if (existsSync(file)) return { username: 'writer', password: readPassword(file, file), from: file };
  if (named) throw new InfluxTargetError(`METATWIN_INFLUX_CREDS_DIR=${named} has no writer.password`);
  return { from: 'none (anonymous)' };
}

function readPassword(file: string, from: string): string {
  try {
    const password = readFileSync(file, 'utf8').trim();
    if (password === '') throw new Error('empty file');
    return password;
  } catch (err) {
    throw new InfluxTargetError(`cannot read the InfluxDB password (${from}): ${(err as Error).message}`);
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
