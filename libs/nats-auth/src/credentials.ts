/**
 * Credentials and TLS for a NATS connection, found in the environment and turned into
 * nats.js's own connection options (its nkey, creds and user/password authenticators, its
 * `tls: {caFile, certFile, keyFile}`). Nothing here holds a secret: the environment names
 * files (or, for a password, carries it), and the files are read when the client connects —
 * again at every reconnect, so a rotated seed is picked up without a restart.
 *
 * Where a process's credentials come from, first match wins:
 *   METATWIN_NATS_CREDS=FILE            one file for this process: a .creds file (JWT and seed)
 *                                       or an nkey seed file (SU…);
 *   METATWIN_NATS_USER (+ METATWIN_NATS_PASSWORD or METATWIN_NATS_PASSWORD_FILE);
 *   METATWIN_NATS_CREDS_DIR=DIR         one file per role: DIR/<role>.creds or DIR/<role>.nk — how
 *                                       `metatwin up` gives each service its own;
 *   the development directory           .tmp/servers/nats-auth under the working directory, when
 *                                       scripts/servers.sh made it;
 *   nothing                             an anonymous client (a server with authorization refuses it).
 * TLS: METATWIN_NATS_TLS_CA (the CA that signed the server's certificate), and for a client
 * certificate METATWIN_NATS_TLS_CERT and METATWIN_NATS_TLS_KEY.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { credsAuthenticator, nkeyAuthenticator, nkeys, usernamePasswordAuthenticator, type Authenticator, type TlsOptions } from 'nats';
import { ROLES, isRole, type NatsRole } from './roles';
import { authorizationConfig } from './server-config';

/** Plain data (it crosses to worker threads): which credentials and TLS files a connection uses. */
export interface NatsSecurity {
  /** The role these credentials are for (messages name it). */
  readonly role?: NatsRole;
  readonly credsFile?: string;
  readonly nkeySeedFile?: string;
  readonly user?: string;
  readonly password?: string;
  readonly tls?: { readonly caFile?: string; readonly certFile?: string; readonly keyFile?: string };
  /** Where the credentials were found, for error messages (never the secret). */
  readonly from?: string;
}

/** The credentials directory scripts/servers.sh writes by default, relative to the working directory. */
export const DEV_CREDENTIALS_DIR = join('.tmp', 'servers', 'nats-auth');
/** The authorization block beside the seeds, for nats-server to include. */
export const AUTH_CONF = 'auth.conf';

export class NatsCredentialsError extends Error {
  override readonly name = 'NatsCredentialsError';
}

/** METATWIN_NATS_CREDS_DIR, else the development directory when it exists, else null. */
export function credentialsDir(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string | null {
  const named = env.METATWIN_NATS_CREDS_DIR;
  if (named !== undefined && named !== '') {
    if (!isDirectory(named)) throw new NatsCredentialsError(`METATWIN_NATS_CREDS_DIR=${named} is not a directory`);
    return resolve(cwd, named);
  }
  const dev = resolve(cwd, DEV_CREDENTIALS_DIR);
  return isDirectory(dev) ? dev : null;
}

/** The credentials `role` connects with, from the environment (see the top of this file). */
export function natsSecurity(role: NatsRole, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): NatsSecurity {
  const tls = tlsFrom(env);
  const withTls = (s: NatsSecurity): NatsSecurity => (tls ? { ...s, tls } : s);
  const file = env.METATWIN_NATS_CREDS;
  if (file !== undefined && file !== '') {
    const path = resolve(cwd, file);
    if (!existsSync(path)) throw new NatsCredentialsError(`METATWIN_NATS_CREDS=${file}: no such file`);
    return withTls({ role, ...credentialFile(path), from: 'METATWIN_NATS_CREDS' });
  }
  const user = env.METATWIN_NATS_USER;
  if (user !== undefined && user !== '') {
    const passwordFile = env.METATWIN_NATS_PASSWORD_FILE;
    const password = passwordFile ? readFileSync(resolve(cwd, passwordFile), 'utf8').trim() : env.METATWIN_NATS_PASSWORD;
    if (password === undefined || password === '') throw new NatsCredentialsError('METATWIN_NATS_USER is set but neither METATWIN_NATS_PASSWORD nor METATWIN_NATS_PASSWORD_FILE');
    return withTls({ role, user, password, from: 'METATWIN_NATS_USER' });
  }
  const dir = credentialsDir(env, cwd);
  if (dir !== null) {
    for (const name of [`${role}.creds`, `${role}.nk`]) {
      const path = join(dir, name);
      if (existsSync(path)) return withTls({ role, ...credentialFile(path), from: path });
    }
    throw new NatsCredentialsError(`no credentials for role ${role} in ${dir} (${role}.creds or ${role}.nk); make them with metatwin nats-auth init --dir ${dir}`);
  }
  return withTls({ role, from: 'none (anonymous)' });
}

/** True when `security` names credentials (not an anonymous client). */
export function hasCredentials(security: NatsSecurity | undefined): boolean {
  return !!(security && (security.credsFile || security.nkeySeedFile || security.user));
}

function credentialFile(path: string): Pick<NatsSecurity, 'credsFile' | 'nkeySeedFile'> {
  return /-----BEGIN NATS USER JWT-----/.test(readFileSync(path, 'utf8')) ? { credsFile: path } : { nkeySeedFile: path };
}

function tlsFrom(env: NodeJS.ProcessEnv): NatsSecurity['tls'] | undefined {
  const caFile = env.METATWIN_NATS_TLS_CA || undefined;
  const certFile = env.METATWIN_NATS_TLS_CERT || undefined;
  const keyFile = env.METATWIN_NATS_TLS_KEY || undefined;
  if (!caFile && !certFile && !keyFile) return undefined;
  if (!!certFile !== !!keyFile) throw new NatsCredentialsError('METATWIN_NATS_TLS_CERT and METATWIN_NATS_TLS_KEY go together (a client certificate and its key)');
  for (const [name, f] of [
    ['METATWIN_NATS_TLS_CA', caFile],
    ['METATWIN_NATS_TLS_CERT', certFile],
    ['METATWIN_NATS_TLS_KEY', keyFile],
  ] as const)
    if (f && !existsSync(f)) throw new NatsCredentialsError(`${name}=${f}: no such file`);
  return { ...(caFile ? { caFile } : {}), ...(certFile ? { certFile } : {}), ...(keyFile ? { keyFile } : {}) };
}

/** nats.js connection options for `security` (none for an anonymous client without TLS). */
export function connectionOptions(security: NatsSecurity | undefined): { authenticator?: Authenticator; tls?: TlsOptions } {
  if (!security) return {};
  const tls: TlsOptions | undefined = security.tls ? { ...security.tls } : undefined;
  const read = (file: string) => (): Uint8Array => {
    try {
      return new Uint8Array(readFileSync(file));
    } catch (err) {
      throw new NatsCredentialsError(`cannot read NATS credentials ${file}: ${(err as Error).message}`);
    }
  };
  let authenticator: Authenticator | undefined;
  if (security.credsFile) authenticator = credsAuthenticator(read(security.credsFile));
  // Trimmed: a seed file written by hand often ends in a newline, which nkeys refuses.
  else if (security.nkeySeedFile) authenticator = nkeyAuthenticator(() => new TextEncoder().encode(new TextDecoder().decode(read(security.nkeySeedFile as string)()).trim()));
  else if (security.user) authenticator = usernamePasswordAuthenticator(security.user, security.password);
  return { ...(authenticator ? { authenticator } : {}), ...(tls ? { tls } : {}) };
}

/**
 * A sentence for a refused connection or operation that names the role and where its
 * credentials came from (never the secret), or null when `err` is not about authorization.
 */
export function describeAuthError(err: unknown, security: NatsSecurity | undefined): string | null {
  const message = String((err as { message?: unknown })?.message ?? err);
  const role = security?.role ? `role ${security.role}` : 'this client';
  const from = security?.from ?? 'none (anonymous)';
  if (/authorization violation|authentication|AUTHORIZATION_VIOLATION/i.test(message) || (err as { code?: unknown })?.code === 'AUTHORIZATION_VIOLATION')
    return `NATS refused the credentials of ${role} (from ${from}): set METATWIN_NATS_CREDS_DIR to the directory metatwin nats-auth init wrote (scripts/servers.sh prints it), or METATWIN_NATS_CREDS`;
  if (/permissions violation/i.test(message)) return `NATS refused an operation of ${role} (credentials from ${from}): ${message}`;
  return null;
}

export interface WrittenCredentials {
  readonly dir: string;
  /** The authorization block nats-server includes. */
  readonly authFile: string;
  readonly publicKeys: Readonly<Record<NatsRole, string>>;
  /** Roles whose seed was made now (new or rotated). */
  readonly made: ReadonlyArray<NatsRole>;
}

/**
 * Makes sure `dir` holds an nkey seed per role (`<role>.nk`, mode 0600) and writes the
 * server's authorization block (`auth.conf`) from the table. Existing seeds are kept unless
 * their role is in `rotate`; a rotated seed is replaced atomically. The server takes the new
 * block on a reload (nats-server --signal reload, scripts/servers.sh reload), dropping clients
 * of the old key, which reconnect with the new seed.
 */
export function writeCredentials(dir: string, options: { rotate?: ReadonlyArray<string> } = {}): WrittenCredentials {
  const rotate = options.rotate ?? [];
  for (const r of rotate) if (!isRole(r)) throw new NatsCredentialsError(`no role ${JSON.stringify(r)}: the roles are ${ROLES.join(', ')}`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const publicKeys = {} as Record<NatsRole, string>;
  const made: NatsRole[] = [];
  for (const role of ROLES) {
    const file = join(dir, `${role}.nk`);
    let seed: string | null = null;
    if (existsSync(file) && !rotate.includes(role)) seed = readFileSync(file, 'utf8').trim();
    if (seed === null) {
      seed = new TextDecoder().decode(nkeys.createUser().getSeed());
      writePrivate(file, `${seed}\n`);
      made.push(role);
    }
    try {
      publicKeys[role] = nkeys.fromSeed(new TextEncoder().encode(seed)).getPublicKey();
    } catch (err) {
      throw new NatsCredentialsError(`${file} is not an nkey user seed (${(err as Error).message}); remove it or rotate role ${role}`);
    }
  }
  const authFile = join(dir, AUTH_CONF);
  writePrivate(authFile, authorizationConfig(ROLES.map((role) => ({ role, nkey: publicKeys[role] }))));
  return { dir, authFile, publicKeys, made };
}

/** Written beside and renamed over, so a reader never sees half a file; 0600 from the start. */
function writePrivate(file: string, text: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text, { mode: 0o600 });
  renameSync(tmp, file);
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
