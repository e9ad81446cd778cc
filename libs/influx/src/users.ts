/**
 * InfluxDB 1.x users for metatwin (auth-enabled = true): an admin made at set-up, a `writer`
 * the projector and study writer use (WRITE on the databases, nothing else: they read only the
 * event log, and never query InfluxDB), and a `reader` for Grafana (READ only). Passwords are
 * generated here and kept in files of mode 0600 in a directory of mode 0700, never in the
 * repository; scripts/servers.sh, `metatwin up` and test/support make them this way.
 *
 * influxd with auth enabled and no user yet takes one anonymous `CREATE USER … WITH ALL
 * PRIVILEGES`; everything after that is done as that admin. Re-running is harmless: existing
 * passwords are kept, users and grants are made again (both idempotent in 1.x).
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InfluxDB } from 'influx';

export const INFLUX_USERS = ['admin', 'writer', 'reader'] as const;
export type InfluxUser = (typeof INFLUX_USERS)[number];

export interface InfluxCredentials {
  readonly username: string;
  readonly password: string;
}

export type InfluxUsers = Readonly<Record<InfluxUser, InfluxCredentials>>;

/** `DIR/<user>.password` for each user: kept when present, else 32 random hex digits (0600). */
export function influxPasswords(dir: string): InfluxUsers {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const users = {} as Record<InfluxUser, InfluxCredentials>;
  for (const user of INFLUX_USERS) {
    const file = join(dir, `${user}.password`);
    let password = existsSync(file) ? readFileSync(file, 'utf8').trim() : '';
    if (password === '') {
      // Hex: nothing to quote in InfluxQL's single-quoted strings.
      password = randomBytes(16).toString('hex');
      const tmp = `${file}.${process.pid}.tmp`;
      writeFileSync(tmp, `${password}\n`, { mode: 0o600 });
      renameSync(tmp, file);
    }
    users[user] = { username: user, password };
  }
  return users;
}

/**
 * Makes the three users and `databases` on the influxd at `url` (http://host:port), and grants
 * the writer WRITE and the reader READ on each database. The admin is made anonymously when
 * the server has no user yet.
 */
export async function provisionInflux(url: string, users: InfluxUsers, databases: ReadonlyArray<string>): Promise<void> {
  const u = new URL(url);
  const base = { host: u.hostname, port: Number(u.port || 8086), protocol: u.protocol === 'https:' ? ('https' as const) : ('http' as const) };
  const admin = new InfluxDB({ ...base, username: users.admin.username, password: users.admin.password });
  try {
    // Works only while the server has no user at all (influxd's bootstrap exception).
    await new InfluxDB(base).createUser(users.admin.username, users.admin.password, true);
  } catch {
    // An admin exists already: the calls below, as that admin, say whether it is ours.
  }
  try {
    for (const user of ['writer', 'reader'] as const) {
      const names = (await admin.getUsers()).map((r) => r.user);
      if (names.includes(user)) await admin.setPassword(user, users[user].password);
      else await admin.createUser(user, users[user].password, false);
    }
    for (const db of databases) await addDatabase(admin, db);
  } catch (err) {
    throw new Error(`cannot set up InfluxDB users at ${url} as ${users.admin.username}: ${(err as Error).message}`);
  }
}

/** Creates `db` (as the admin `client`) with WRITE for the writer and READ for the reader. */
export async function addDatabase(client: InfluxDB, db: string): Promise<void> {
  await client.createDatabase(db);
  await client.grantPrivilege('writer', 'WRITE', db);
  await client.grantPrivilege('reader', 'READ', db);
}
