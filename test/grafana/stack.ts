/**
 * The live dashboard test's side of the stack: the CLI as a person runs it, with the stack's
 * environment, and InfluxQL over HTTP. (The services are @metatwin/test-support's.)
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { DEFAULT_DATABASE } from '@metatwin/projection';
import { REPO_ROOT as ROOT, credentialsEnv } from '@metatwin/test-support';

/** The database the projection writes: METATWIN_INFLUX_DB, else the schema's default. */
export const DATABASE = process.env.METATWIN_INFLUX_DB || DEFAULT_DATABASE;

export interface StackUrls {
  readonly natsUrl: string;
  readonly influxUrl: string;
  /** How the CLI and the services write: the writer's variables (InfluxServer.env). */
  readonly influxEnv: Readonly<Record<string, string>>;
  /** How Grafana reads: the reader's authorization (InfluxServer.headers('reader')), READ only. */
  readonly readerHeaders: Readonly<Record<string, string>>;
}

function stackEnv(urls: StackUrls): NodeJS.ProcessEnv {
  return { ...process.env, ...credentialsEnv(), ...urls.influxEnv, METATWIN_NATS_URL: urls.natsUrl, METATWIN_INFLUX_URL: urls.influxUrl };
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

/** One InfluxQL statement over the HTTP API (GET /query, epoch ms) as Grafana's reader; throws on an HTTP or statement error. */
export async function influxQuery(urls: Pick<StackUrls, 'influxUrl' | 'readerHeaders'>, query: string, db = DATABASE): Promise<InfluxSeries[]> {
  const url = `${urls.influxUrl}/query?db=${encodeURIComponent(db)}&epoch=ms&q=${encodeURIComponent(query)}`;
  const res = await fetch(url, { headers: { ...urls.readerHeaders } });
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
