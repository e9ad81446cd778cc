/**
 * The four subsystem services as separate OS processes (bin/serve.js), as `metatwin up` or
 * deploy/compose.yaml runs them, for tests and benchmarks: configured only through the
 * environment, started together and waited for over their health request/reply.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { JSONCodec, connect } from 'nats';
import { SOURCES, SUBJECTS, type Source } from '@metatwin/contracts';
import { connectionOptions, natsSecurity, natsServers, requestService } from '@metatwin/nats-auth';
import { childBaseEnv, credentialsEnv } from './credentials';

/** The repository root, found from here whether running from sources or from dist/. */
export const REPO_ROOT = ((): string => {
  for (let dir = __dirname; dir !== resolve(dir, '..'); dir = resolve(dir, '..')) {
    if (existsSync(join(dir, 'bin', 'serve.js'))) return dir;
  }
  throw new Error(`cannot find bin/serve.js above ${__dirname}`);
})();

export interface ServiceProcess {
  readonly name: Source;
  process: ChildProcess;
  /** Everything it printed, for failure messages. */
  output: string;
}

export interface ServiceEnv {
  readonly natsUrl: string;
  /** METATWIN_INFLUX_URL; absent: the services write nothing to InfluxDB. */
  readonly influxUrl?: string;
  /** More variables per service (a pinned adapter: METATWIN_SUPERVISOR=bridge:…). */
  readonly extra?: Partial<Record<Source, Record<string, string>>>;
  /**
   * The NATS server's own environment (NatsServer.env: its TLS CA, or credentials other than
   * this test process's). Every service gets its role's seed from the test credentials
   * (credentials.ts) anyway, as `metatwin up` gives it from its directory.
   */
  readonly natsEnv?: Readonly<Record<string, string>>;
}

export function startService(name: Source, env: ServiceEnv): ServiceProcess {
  const child = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'serve.js'), name], {
    cwd: REPO_ROOT,
    env: { ...childBaseEnv(), ...credentialsEnv(), ...env.natsEnv, METATWIN_NATS_URL: env.natsUrl, METATWIN_INFLUX_URL: env.influxUrl ?? '', ...env.extra?.[name] },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const svc: ServiceProcess = { name, process: child, output: '' };
  child.stdout?.on('data', (d) => (svc.output += d));
  child.stderr?.on('data', (d) => (svc.output += d));
  return svc;
}

/**
 * A service's health over request/reply (Nest's packet shape), asked as an observer (read
 * only); throws when it does not answer. `natsEnv`: the server's NatsServer.env when it is not
 * one of this process's plain servers (TLS).
 */
export async function serviceHealth(
  natsUrl: string,
  name: Source,
  timeout_ms = 2000,
  natsEnv: Readonly<Record<string, string>> = {},
): Promise<{ ok: boolean; deadLetters: number; received: number }> {
  const nc = await connect({ servers: natsServers(natsUrl), reconnect: false, ...connectionOptions(natsSecurity('observer', { ...credentialsEnv(), ...natsEnv })) });
  try {
    const codec = JSONCodec<{ response: { ok: boolean; deadLetters: number; received: number } }>();
    const subject = SUBJECTS.health(name);
    const reply = await requestService(nc, name, subject, codec.encode({ pattern: subject, data: {}, id: `health-${Date.now()}` } as never), timeout_ms);
    return codec.decode(reply.data).response;
  } finally {
    await nc.close();
  }
}

/** Start all four and wait until each answers its health check (60 s); on failure stop them and say why. */
export async function startServices(env: ServiceEnv): Promise<ServiceProcess[]> {
  const services = SOURCES.map((s) => startService(s, env));
  const deadline = Date.now() + 60_000;
  try {
    for (const svc of services) {
      for (;;) {
        if (
          await serviceHealth(env.natsUrl, svc.name, 500, env.natsEnv).then(
            (h) => h.ok,
            () => false,
          )
        )
          break;
        if (svc.process.exitCode !== null) throw new Error(`${svc.name} exited ${svc.process.exitCode}:\n${svc.output}`);
        if (Date.now() > deadline) throw new Error(`${svc.name} did not answer its health check within 60 s:\n${svc.output}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  } catch (err) {
    await stopServices(services);
    throw err;
  }
  return services;
}

/** SIGTERM each (SIGKILL after 5 s) and wait until all have exited; ones already gone are skipped. */
export async function stopServices(services: ReadonlyArray<ServiceProcess>): Promise<void> {
  await Promise.all(
    services.map(
      (s) =>
        new Promise<void>((resolve) => {
          if (s.process.exitCode !== null || s.process.signalCode !== null) return resolve();
          s.process.once('exit', () => resolve());
          s.process.kill('SIGTERM');
          setTimeout(() => s.process.kill('SIGKILL'), 5000).unref();
        }),
    ),
  );
}
