/**
 * Real servers for adapter tests, as the nats.js tests start a real nats-server: each call
 * starts a private nats-server (JetStream, file storage) or influxd 1.x on loopback ports the
 * OS reports free, with its own temporary directory, from the same configuration templates
 * as scripts/servers.sh (deploy/nats, deploy/influxdb). A server that is missing or does not
 * come up fails the test loudly; nothing is ever skipped, and no server already running on
 * the machine is used or touched.
 */
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { AUTH_CONF, connectionOptions, type NatsRole, type NatsSecurity } from '@metatwin/nats-auth';
import { InfluxDB } from 'influx';
import { credentialsEnv, testCredentials, testSecurity } from './credentials';
import { DEFAULT_START_TIMEOUT_MS, ServerStartError, findServerBinary, freePort, portTaken, spawnServer, stopServer, type ServerProcess } from './process';

/** The repository's deploy/ folder, found from here whether running from sources or from dist/. */
const DEPLOY = ((): string => {
  for (let dir = __dirname; dir !== resolve(dir, '..'); dir = resolve(dir, '..')) {
    if (existsSync(resolve(dir, 'deploy', 'nats', 'nats-server.conf'))) return resolve(dir, 'deploy');
  }
  throw new Error(`cannot find deploy/nats/nats-server.conf above ${__dirname}`);
})();
/** Attempts when another process takes a port between freePort() and the server's bind. */
const PORT_RACE_ATTEMPTS = 3;

export interface NatsServer {
  /** Client URL, e.g. nats://127.0.0.1:40123 */
  readonly url: string;
  /** Monitoring base URL (varz, jsz, healthz). */
  readonly monitorUrl: string;
  readonly port: number;
  /** JetStream keeps its streams under storeDir/jetstream. */
  readonly storeDir: string;
  readonly pid: number;
  /** SIGTERM, wait for exit, remove the temporary directory. Safe after kill(). */
  stop(): Promise<void>;
  /** SIGKILL without waiting: a crash. The directory stays until stop(). */
  kill(): void;
  /** Stops (a crash when hard), stays down `down_ms` (default 0), and starts again on the same port and store. */
  restart(options?: { hard?: boolean; down_ms?: number }): Promise<void>;
  /** What the server logged so far (its permission and authorization violations among it). */
  logText(): string;
  /** True when the server requires credentials (the default): anonymous clients are refused. */
  readonly authorization: boolean;
  /** Environment for a child process that connects to it (METATWIN_NATS_CREDS_DIR; the TLS CA); test/support's helpers add it themselves. */
  readonly env: Readonly<Record<string, string>>;
  /** Credentials and TLS for an in-process JetStreamEventLog or StudyQueue connecting as `role`. */
  security(role: NatsRole): NatsSecurity;
  /** nats.js connect() options for `role`: `connect({ servers: nats.url, ...nats.connectOptions('observer') })`. */
  connectOptions(role: NatsRole): ReturnType<typeof connectionOptions>;
}

export interface InfluxServer {
  /** HTTP API URL, e.g. http://127.0.0.1:40125 */
  readonly url: string;
  readonly port: number;
  /** meta/, data/ and wal/ live here. */
  readonly dataDir: string;
  readonly pid: number;
  /** The admin, writer and reader made at start, with their generated passwords (for in-process clients). */
  readonly users: InfluxUsers;
  /** Where the passwords are: <user>.password, mode 0600, in a directory of mode 0700. */
  readonly credentialsDir: string;
  /**
   * The environment a child process writes with, as the writer: METATWIN_INFLUX_USER and
   * METATWIN_INFLUX_PASSWORD_FILE (the password stays in its file). Pass it with
   * METATWIN_INFLUX_URL to the CLI and the services.
   */
  readonly env: Readonly<Record<string, string>>;
  /** HTTP Basic authorization for `user`, for fetch() against the HTTP API. */
  headers(user: InfluxUser): Record<string, string>;
  /** Makes `db` as the admin, with WRITE for the writer and READ for the reader (the writer may not create databases). */
  createDatabase(db: string): Promise<void>;
  stop(): Promise<void>;
  kill(): void;
  /** Stop the server (SIGTERM; SIGKILL when hard) and keep its data, to start() it again. */
  halt(options?: { hard?: boolean }): Promise<void>;
  /** Start a halted server again on the same port and data. */
  start(): Promise<void>;
}

export interface StartOptions {
  /** Milliseconds to wait for the health check (default 15 s). */
  timeoutMs?: number;
}

export interface NatsStartOptions extends StartOptions {
  /**
   * 'roles' (default): the production authorization, every role of libs/nats-auth with this
   * test process's seeds (credentials.ts). 'anonymous': no authorization at all, only for a
   * test that needs to show what an open server allows.
   */
  auth?: 'roles' | 'anonymous';
  /**
   * Serve TLS with this certificate and key, from the production template
   * (deploy/nats/nats-server.production.conf); `caFile` is what clients trust (put in `env`).
   */
  tls?: { certFile: string; keyFile: string; caFile: string };
}

function render(template: string, values: Record<string, string | number>): string {
  return readFileSync(join(DEPLOY, template), 'utf8').replace(/\{\{([A-Z_]+)\}\}/g, (whole, key: string) => {
    const value = values[key];
    if (value === undefined) throw new ServerStartError(`${template}: no value for ${whole}`);
    return String(value);
  });
}

interface Launch {
  what: string;
  bin: string;
  args: string[];
  log: string;
  health: string;
  status: number;
}

/**
 * Picks `count` distinct free ports, lets `prepare` write the configuration, and starts the
 * server; retries with fresh ports only when its log says a port was taken in the meantime.
 */
async function launchWithFreshPorts(count: number, prepare: (ports: number[]) => Launch, timeoutMs: number): Promise<{ proc: ServerProcess; ports: number[]; launch: Launch }> {
  for (let attempt = 1; ; attempt++) {
    const ports: number[] = [];
    while (ports.length < count) {
      const port = await freePort();
      if (!ports.includes(port)) ports.push(port);
    }
    const launch = prepare(ports);
    try {
      const proc = await spawnServer(launch.what, launch.bin, launch.args, launch.log, launch.health, launch.status, timeoutMs);
      return { proc, ports, launch };
    } catch (err) {
      if (attempt >= PORT_RACE_ATTEMPTS || !portTaken(launch.log)) throw err;
    }
  }
}

/** A private nats-server with JetStream on free loopback ports, with the production roles unless told otherwise; stop() it in afterAll. */
export async function startNats(options: NatsStartOptions = {}): Promise<NatsServer> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_START_TIMEOUT_MS;
  const bin = findServerBinary('nats-server', 'METATWIN_NATS_SERVER_BIN');
  const dir = mkdtempSync(join(tmpdir(), 'metatwin-nats-'));
  const storeDir = join(dir, 'store');
  const conf = join(dir, 'nats.conf');
  const log = join(dir, 'nats.log');
  const authorization = (options.auth ?? 'roles') === 'roles';
  const tls = options.tls;
  // The template includes auth.conf beside it: the roles' block, or (anonymous) nothing.
  if (authorization) copyFileSync(testCredentials().authFile, join(dir, AUTH_CONF));
  else writeFileSync(join(dir, AUTH_CONF), '# anonymous test server: no authorization\n');
  const tlsEnv: Record<string, string> = tls ? { METATWIN_NATS_TLS_CA: tls.caFile } : {};
  const env = { ...(authorization ? credentialsEnv() : {}), ...tlsEnv };
  const security = (role: NatsRole): NatsSecurity => (authorization ? testSecurity(role, tlsEnv) : { role, ...(tls ? { tls: { caFile: tls.caFile } } : {}) });
  try {
    const started = await launchWithFreshPorts(
      2,
      ([port, monitorPort]) => {
        const values = { NATS_PORT: port, NATS_MONITOR_PORT: monitorPort, NATS_STORE_DIR: storeDir };
        writeFileSync(
          conf,
          tls
            ? render('nats/nats-server.production.conf', {
                ...values,
                NATS_SERVER_NAME: 'metatwin_test',
                NATS_HOST: '127.0.0.1',
                NATS_MONITOR_HOST: '127.0.0.1',
                NATS_TLS_CERT: tls.certFile,
                NATS_TLS_KEY: tls.keyFile,
              })
            : render('nats/nats-server.conf', values),
        );
        return { what: 'nats-server', bin, args: ['-c', conf], log, health: `http://127.0.0.1:${monitorPort}/healthz?js-enabled-only=true`, status: 200 };
      },
      timeoutMs,
    );
    const [port, monitorPort] = started.ports;
    const { launch } = started;
    let proc = started.proc;
    return {
      url: `nats://127.0.0.1:${port}`,
      monitorUrl: `http://127.0.0.1:${monitorPort}`,
      port,
      storeDir,
      logText: () => (existsSync(log) ? readFileSync(log, 'utf8') : ''),
      authorization,
      env,
      security,
      connectOptions: (role) => connectionOptions(security(role)),
      get pid() {
        return proc.child.pid ?? -1;
      },
      async stop() {
        await stopServer(proc);
        rmSync(dir, { recursive: true, force: true });
      },
      kill() {
        proc.child.kill('SIGKILL');
      },
      async restart({ hard = false, down_ms = 0 } = {}) {
        await stopServer(proc, hard ? 'SIGKILL' : 'SIGTERM');
        if (down_ms > 0) await new Promise((r) => setTimeout(r, down_ms));
        proc = await spawnServer(launch.what, launch.bin, launch.args, launch.log, launch.health, launch.status, timeoutMs);
      },
    };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

/**
 * The users of deploy/influxdb (auth-enabled), as `metatwin influx users` makes them
 * (libs/influx/src/users.ts; not imported: the libraries' own specs use this package).
 */
export type InfluxUser = 'admin' | 'writer' | 'reader';
export type InfluxUsers = Readonly<Record<InfluxUser, { readonly username: string; readonly password: string }>>;
/** The projection's database (libs/projection DEFAULT_DATABASE). */
const DEFAULT_INFLUX_DATABASE = 'metatwin';

/** Generated passwords, one file each (mode 0600) in `dir` (mode 0700). Hex: nothing to quote in InfluxQL. */
function makeInfluxUsers(dir: string): InfluxUsers {
  mkdirSync(dir, { mode: 0o700 });
  const users = {} as Record<InfluxUser, { username: string; password: string }>;
  for (const user of ['admin', 'writer', 'reader'] as const) {
    const password = randomBytes(16).toString('hex');
    writeFileSync(join(dir, `${user}.password`), `${password}\n`, { mode: 0o600 });
    users[user] = { username: user, password };
  }
  return users;
}

/** Makes `db` as the admin, with WRITE for the writer and READ for the reader. */
async function addInfluxDatabase(admin: InfluxDB, db: string): Promise<void> {
  await admin.createDatabase(db);
  await admin.grantPrivilege('writer', 'WRITE', db);
  await admin.grantPrivilege('reader', 'READ', db);
}

export interface InfluxStartOptions extends StartOptions {
  /** Databases made at start, for the writer and the reader (default: the schema's, metatwin). */
  databases?: ReadonlyArray<string>;
}

/**
 * A private influxd 1.x on free loopback ports (HTTP and RPC), with auth enabled as deployed:
 * an admin, a writer and a reader with generated passwords (see InfluxServer.users and .env);
 * stop() it in afterAll.
 */
export async function startInflux(options: InfluxStartOptions = {}): Promise<InfluxServer> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_START_TIMEOUT_MS;
  const bin = findServerBinary('influxd', 'METATWIN_INFLUXD_BIN');
  const dir = mkdtempSync(join(tmpdir(), 'metatwin-influx-'));
  const dataDir = join(dir, 'influxdb');
  mkdirSync(dataDir);
  const conf = join(dir, 'influxdb.conf');
  const log = join(dir, 'influxd.log');
  try {
    const started = await launchWithFreshPorts(
      2,
      ([port, rpcPort]) => {
        writeFileSync(conf, render('influxdb/influxdb.conf', { INFLUX_PORT: port, INFLUX_RPC_PORT: rpcPort, INFLUX_DIR: dataDir }));
        return { what: 'influxd', bin, args: ['-config', conf], log, health: `http://127.0.0.1:${port}/ping`, status: 204 };
      },
      timeoutMs,
    );
    const [port] = started.ports;
    const { launch } = started;
    let proc: ServerProcess | null = started.proc;
    const url = `http://127.0.0.1:${port}`;
    const credentialsDir = join(dir, 'influx-auth');
    const users = makeInfluxUsers(credentialsDir);
    const admin = new InfluxDB({ host: '127.0.0.1', port, username: users.admin.username, password: users.admin.password });
    try {
      // A fresh influxd with auth takes one anonymous CREATE USER … WITH ALL PRIVILEGES; the rest as that admin.
      await new InfluxDB({ host: '127.0.0.1', port }).createUser(users.admin.username, users.admin.password, true);
      await admin.createUser(users.writer.username, users.writer.password, false);
      await admin.createUser(users.reader.username, users.reader.password, false);
      for (const db of options.databases ?? [DEFAULT_INFLUX_DATABASE]) await addInfluxDatabase(admin, db);
    } catch (err) {
      await stopServer(proc);
      throw new ServerStartError(`influxd on ${url}: cannot make its users: ${(err as Error).message}`);
    }
    return {
      url,
      port,
      dataDir,
      users,
      credentialsDir,
      env: { METATWIN_INFLUX_USER: users.writer.username, METATWIN_INFLUX_PASSWORD_FILE: join(credentialsDir, 'writer.password') },
      headers: (user) => ({ Authorization: `Basic ${Buffer.from(`${users[user].username}:${users[user].password}`).toString('base64')}` }),
      createDatabase: (db) => addInfluxDatabase(admin, db),
      get pid() {
        return proc?.child.pid ?? -1;
      },
      async stop() {
        if (proc) await stopServer(proc);
        rmSync(dir, { recursive: true, force: true });
      },
      kill() {
        proc?.child.kill('SIGKILL');
      },
      async halt({ hard = false } = {}) {
        if (proc) await stopServer(proc, hard ? 'SIGKILL' : 'SIGTERM');
        proc = null;
      },
      async start() {
        if (proc) throw new ServerStartError('influxd is already running');
        proc = await spawnServer(launch.what, launch.bin, launch.args, launch.log, launch.health, launch.status, timeoutMs);
      },
    };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}
