/**
 * Child server processes for tests: binary lookup, free loopback ports, health polling,
 * stopping with a deadline, and a last-resort kill when the test process exits. Servers log
 * to a file in their own directory so a failed start can quote the log's tail.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, openSync, closeSync, readFileSync } from 'node:fs';
import { get } from 'node:http';
import { createServer } from 'node:net';
import { delimiter, join } from 'node:path';

/** A server did not come up (or went away) when a test needed it. */
export class ServerStartError extends Error {
  override readonly name = 'ServerStartError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** How long a server gets to answer its health check, ms. */
export const DEFAULT_START_TIMEOUT_MS = 15_000;
/** How long a server gets to exit after SIGTERM before SIGKILL, ms. */
const STOP_GRACE_MS = 10_000;
const LOG_TAIL_LINES = 25;
/** Debian installs nats-server and influxd into sbin, which is not on every PATH. */
const EXTRA_BIN_DIRS = ['/usr/sbin', '/usr/bin', '/usr/local/sbin', '/usr/local/bin'];

/**
 * Absolute path of a server binary: `envOverride` when set, else PATH plus the sbin folders.
 * Throws naming the install command, because a missing server must fail a test, never skip it.
 */
export function findServerBinary(name: string, envOverride?: string): string {
  const forced = envOverride ? process.env[envOverride] : undefined;
  const candidates = forced ? [forced] : [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), ...EXTRA_BIN_DIRS].map((dir) => join(dir, name));
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      /* try the next folder */
    }
  }
  throw new ServerStartError(`${name} not found on PATH or in ${EXTRA_BIN_DIRS.join(', ')}${forced ? ` (${envOverride}=${forced})` : ''}; run scripts/ensure-tools.sh`);
}

/** A loopback TCP port the OS just reported free (another process could still take it first). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new ServerStartError('the OS gave no free port'))));
    });
  });
}

/** HTTP status of a GET, or 0 when nothing answers within a second. */
export function httpStatus(url: string): Promise<number> {
  return new Promise((resolve) => {
    const req = get(url, { agent: false, timeout: 1_000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.once('timeout', () => req.destroy());
    req.once('error', () => resolve(0));
  });
}

export function logTail(logFile: string, lines = LOG_TAIL_LINES): string {
  try {
    return readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

/** A test that forgets stop() must not leave servers behind once its process ends. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of live) child.kill('SIGKILL');
  });
}

export interface ServerProcess {
  readonly child: ChildProcess;
  /** Resolves with the exit code or signal once the process has gone. */
  readonly exited: Promise<string>;
}

/**
 * Spawns `bin args`, logging to `logFile`, and polls `healthUrl` until it answers `status`.
 * Rejects with the log's tail when the process exits first or the deadline passes (and then
 * kills it). The child is unref'd so a forgotten server cannot keep the test process alive.
 */
export async function spawnServer(what: string, bin: string, args: string[], logFile: string, healthUrl: string, status: number, timeoutMs: number): Promise<ServerProcess> {
  installExitHook();
  const logFd = openSync(logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(bin, args, { stdio: ['ignore', logFd, logFd] });
  } finally {
    closeSync(logFd);
  }
  live.add(child);
  child.unref();
  const exited = new Promise<string>((resolve) => {
    child.once('exit', (code, signal) => {
      live.delete(child);
      resolve(signal ?? `code ${code}`);
    });
    child.once('error', (err) => {
      live.delete(child);
      resolve(`spawn error ${err.message}`);
    });
  });
  const proc = { child, exited };
  const deadline = Date.now() + timeoutMs;
  let gone: string | undefined;
  void exited.then((how) => (gone = how));
  let last = 0;
  for (;;) {
    last = await httpStatus(healthUrl);
    if (last === status) return proc;
    if (gone !== undefined) {
      throw new ServerStartError(`${what} exited during start-up (${gone}); last lines of ${logFile}:\n${logTail(logFile)}`);
    }
    if (Date.now() > deadline) {
      await stopServer(proc);
      throw new ServerStartError(
        `${what} did not answer ${healthUrl} with ${status} within ${timeoutMs} ms (last: ${last || 'no answer'}); last lines of ${logFile}:\n${logTail(logFile)}`,
      );
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** SIGTERM, then SIGKILL after a grace period; resolves once the process has exited. */
export async function stopServer(proc: ServerProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  const { child, exited } = proc;
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.ref();
  child.kill(signal);
  let timer: NodeJS.Timeout | undefined;
  const killed = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), STOP_GRACE_MS);
  });
  const how = await Promise.race([exited, killed]);
  clearTimeout(timer);
  if (how === 'timeout') {
    child.kill('SIGKILL');
    await exited;
  }
}

/** True when a failed start looks like a lost race for a port picked by freePort(). */
export function portTaken(logFile: string): boolean {
  return /address already in use/i.test(logTail(logFile, 50));
}
