/** The four services as separate OS processes against a test nats-server. */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { JSONCodec, connect } from 'nats';
import { SUBJECTS, SOURCES, type Source } from '@metatwin/contracts';

const root = join(__dirname, '..', '..');

export interface ServiceProcess {
  readonly name: Source;
  process: ChildProcess;
  output: string;
}

export function startService(name: Source, natsUrl: string): ServiceProcess {
  const child = spawn(process.execPath, [join(root, 'bin', 'serve.js'), name], { cwd: root, env: { ...process.env, METATWIN_NATS_URL: natsUrl }, stdio: ['ignore', 'pipe', 'pipe'] });
  const svc: ServiceProcess = { name, process: child, output: '' };
  child.stdout?.on('data', (d) => (svc.output += d));
  child.stderr?.on('data', (d) => (svc.output += d));
  return svc;
}

/** Ask a service's health over request/reply (Nest's packet shape). */
export async function health(natsUrl: string, name: Source, timeout = 2000): Promise<{ ok: boolean; deadLetters: number; received: number }> {
  const nc = await connect({ servers: natsUrl });
  try {
    const codec = JSONCodec<{ response: { ok: boolean; deadLetters: number; received: number } }>();
    const subject = SUBJECTS.health(name);
    const reply = await nc.request(subject, codec.encode({ pattern: subject, data: {}, id: `h-${Date.now()}` } as never), { timeout });
    return codec.decode(reply.data).response;
  } finally {
    await nc.close();
  }
}

/** Start all four and wait until each answers its health check. */
export async function startAll(natsUrl: string): Promise<ServiceProcess[]> {
  const services = SOURCES.map((s) => startService(s, natsUrl));
  const deadline = Date.now() + 60_000;
  for (const svc of services) {
    for (;;) {
      try {
        if ((await health(natsUrl, svc.name, 500)).ok) break;
      } catch {
        /* not up yet */
      }
      if (svc.process.exitCode !== null) throw new Error(`${svc.name} exited ${svc.process.exitCode}:\n${svc.output}`);
      if (Date.now() > deadline) throw new Error(`${svc.name} did not answer its health check within 60 s:\n${svc.output}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  return services;
}

export async function stopAll(services: ServiceProcess[]): Promise<void> {
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
