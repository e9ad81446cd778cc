import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { SOURCES } from '@metatwin/contracts';
import { UsageError } from '../usage';
import { influxTargetArg } from './influx';

/**
 * `metatwin up [--nats URL] [--influx URL]`: the four services as child processes on one NATS
 * server (projecting into InfluxDB when a target is given), their output prefixed by name,
 * until interrupted (then each is stopped cleanly).
 */
export async function upCommand(argv: string[], write: (s: string) => void): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { nats: { type: 'string' }, influx: { type: 'string' } }, strict: true });
  // Checked here so a bad value is one clear error, not four failing services.
  const influxUrl = influxTargetArg(values.influx) ? (values.influx ?? process.env.METATWIN_INFLUX_URL ?? '') : '';
  const natsUrl = values.nats ?? process.env.METATWIN_NATS_URL ?? 'nats://127.0.0.1:4222';
  if (!/^nats:\/\//.test(natsUrl)) throw new UsageError(`--nats must be a nats:// URL, got "${natsUrl}"`);
  const serve = join(__dirname, '..', '..', '..', '..', '..', 'bin', 'serve.js');
  const children: ChildProcess[] = SOURCES.map((name) => {
    const child = spawn(process.execPath, [serve, name], {
      env: { ...process.env, METATWIN_NATS_URL: natsUrl, METATWIN_INFLUX_URL: influxUrl },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const prefix = (chunk: Buffer): void => {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) write(`[${name}] ${line}\n`);
    };
    child.stdout?.on('data', prefix);
    child.stderr?.on('data', prefix);
    child.on('exit', (code, signal) => write(`[${name}] exited (${signal ?? code})\n`));
    return child;
  });
  write(`metatwin up: ${SOURCES.join(', ')} on ${natsUrl}${influxUrl ? `, projecting into ${influxUrl}` : ''} (Ctrl-C stops them)\n`);
  const stop = (): void => children.forEach((c) => c.exitCode === null && c.kill('SIGTERM'));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const codes = await Promise.all(children.map((c) => new Promise<number>((resolve) => c.once('exit', (code) => resolve(code ?? 0)))));
  return codes.every((c) => c === 0) ? 0 : 1;
}
