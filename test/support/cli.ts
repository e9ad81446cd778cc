/**
 * The metatwin CLI as a child process, for system tests that act on it while it runs
 * (kill a service, stop NATS, press Ctrl-C). Every child still running is killed by
 * killClis(), so a failed test leaves none behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { childBaseEnv, credentialsEnv } from './credentials';
import { REPO_ROOT } from './services';

export interface CliRun {
  readonly child: ChildProcess;
  /** Exit code and everything printed (stdout and stderr, interleaved). */
  readonly done: Promise<{ code: number | null; out: string }>;
  /** What it printed so far. */
  output(): string;
  /** `done`, or a rejection naming the command and what it printed when it has not ended within `ms`. */
  within(ms: number): Promise<{ code: number | null; out: string }>;
}

const running = new Set<ChildProcess>();

/**
 * The CLI finds its role's NATS credentials in this test process's credentials directory
 * (credentials.ts), as every nats-server test/support starts authorizes them; `env` may
 * override it (METATWIN_NATS_ROLE, METATWIN_NATS_TLS_CA, or another METATWIN_NATS_CREDS_DIR).
 * @param nodeArgs flags for node itself (before the script), e.g. `--single-threaded`
 */
export function startCli(args: string[], env: NodeJS.ProcessEnv = {}, nodeArgs: readonly string[] = []): CliRun {
  const child = spawn(process.execPath, [...nodeArgs, join(REPO_ROOT, 'bin', 'metatwin.js'), ...args], {
    cwd: REPO_ROOT,
    env: { ...childBaseEnv(), ...credentialsEnv(), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let out = '';
  child.stdout?.on('data', (d) => (out += d));
  child.stderr?.on('data', (d) => (out += d));
  const done = new Promise<{ code: number | null; out: string }>((resolve) =>
    child.on('exit', (code) => {
      running.delete(child);
      // Let the pipes deliver what is left.
      setImmediate(() => resolve({ code, out }));
    }),
  );
  const within = (ms: number): Promise<{ code: number | null; out: string }> => {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`metatwin ${args.join(' ')} did not end within ${ms} ms; it printed:\n${out}`)), ms);
    });
    return Promise.race([done, late]).finally(() => clearTimeout(timer));
  };
  return { child, done, output: () => out, within };
}

export function killClis(): void {
  for (const c of running) c.kill('SIGKILL');
}
