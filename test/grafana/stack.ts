/**
 * The metatwin stack for the live dashboard test, as deploy/compose.yaml runs it but on private
 * servers: the four services as separate OS processes (bin/serve.js) configured through
 * METATWIN_NATS_URL and METATWIN_INFLUX_URL, and the CLI as a person runs it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { JSONCodec, connect } from 'nats';
import { SOURCES, SUBJECTS, type Source } from '@metatwin/contracts';
import { DEFAULT_DATABASE } from '@metatwin/projection';

export const ROOT = join(__dirname, '..', '..');

/** The database the projection writes: METATWIN_INFLUX_DB, else the schema's default. */
export const DATABASE = process.env.METATWIN_INFLUX_DB || DEFAULT_DATABASE;

export interface ServiceProcess {
  readonly name: Source;
  readonly process: ChildProcess;
  output: string;
}

export interface StackUrls {
  readonly natsUrl: string;
  readonly influxUrl: string;
}

function stackEnv(urls: StackUrls): NodeJS.ProcessEnv {
  return { ...process.env, METATWIN_NATS_URL: urls.natsUrl, METATWIN_INFLUX_URL: urls.influxUrl };
}

/** Nest's request/reply health check of one service. */
async function healthy(natsUrl: string, name: Source): Promise<boolean> {
  const nc = await connect({ servers: natsUrl, reconnect: false });
  try {
    const codec = JSONCodec<{ response?: { ok?: boolean } }>();
    const subject = SUBJECTS.health(name);
    const reply = await nc.request(subject, codec.encode({ pattern: subject, data: {}, id: `grafana-${Date.now()}` } as never), { timeout: 500 });
    return codec.decode(reply.data).response?.ok === true;
  } finally {
    await nc.close();
  }
}

/** Starts the four services and waits until each answers its health check (60 s). */
export async function startServices(urls: StackUrls): Promise<ServiceProcess[]> {
  const services: ServiceProcess[] = SOURCES.map((name) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'serve.js'), name], { cwd: ROOT, env: stackEnv(urls), stdio: ['ignore', 'pipe', 'pipe'] });
    const svc: ServiceProcess = { name, process: child, output: '' };
    child.stdout?.on('data', (d) => (svc.output += d));
    child.stderr?.on('data', (d) => (svc.output += d));
    return svc;
  });
  const deadline = Date.now() + 60_000;
  try {
    for (const svc of services) {
      for (;;) {
        if (await healthy(urls.natsUrl, svc.name).catch(() => false)) break;
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

/** SIGTERM each service this test started, SIGKILL after 5 s. */
export async function stopServices(services: readonly ServiceProcess[]): Promise<void> {
  await Promise.all(
    services.map(
      (s) =>
        new Promise<void>((resolve) => {
          if (s.process.exitCode !== null || s.process.signalCode !== null) return resolve();
          s.process.once('exit', () => resolve());
          s.process.kill('SIGTERM');
          setTimeout(() => s.process.kill('SIGKILL'), 5_000).unref();
        }),
    ),
  );
}

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** `node bin/metatwin.js …` from the repository root with the stack's environment; rejects after timeoutMs. */
export function runCli(args: readonly string[], urls: StackUrls, timeoutMs: number): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'metatwin.js'), ...args], { cwd: ROOT, env: stackEnv(urls), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d) => (stdout += d));
    child.stderr?.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`metatwin ${args.join(' ')} did not finish within ${timeoutMs} ms\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

export interface InfluxSeries {
  readonly name: string;
  readonly tags?: Record<string, string>;
  readonly columns: string[];
  readonly values: unknown[][];
}

/** One InfluxQL statement over the HTTP API (GET /query, epoch ms); throws on an HTTP or statement error. */
export async function influxQuery(influxUrl: string, query: string, db = DATABASE): Promise<InfluxSeries[]> {
  const url = `${influxUrl}/query?db=${encodeURIComponent(db)}&epoch=ms&q=${encodeURIComponent(query)}`;
  const res = await fetch(url);
  const text = await res.text();
  let body: { error?: string; results?: Array<{ error?: string; series?: InfluxSeries[] }> };
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error(`InfluxDB answered ${res.status}: ${text}`);
  }
  const error = body.error ?? body.results?.[0]?.error;
  if (!res.ok || error) throw new Error(`InfluxDB answered ${res.status}: ${error ?? text}`);
  return body.results?.[0]?.series ?? [];
}

export const rowCount = (series: readonly InfluxSeries[]): number => series.reduce((n, s) => n + s.values.length, 0);

/** The values of a SHOW TAG VALUES answer (its "value" column). */
export function tagValues(series: readonly InfluxSeries[]): string[] {
  return series.flatMap((s) => {
    const col = s.columns.indexOf('value');
    return s.values.map((row) => String(row[col]));
  });
}
