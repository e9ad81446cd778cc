import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { SOURCES } from '@metatwin/contracts';
import { credentialsDir } from '@metatwin/nats-auth';
import { UsageError } from '../usage';
import { influxTargetArg } from './influx';

/** Credentials meant for one process: a service finds its own role's in the directory instead. */
const ONE_PROCESS_CREDENTIALS = ['METATWIN_NATS_CREDS', 'METATWIN_NATS_USER', 'METATWIN_NATS_PASSWORD', 'METATWIN_NATS_PASSWORD_FILE', 'METATWIN_NATS_ROLE'];

/**
 * `metatwin up [--nats URL] [--influx URL]`: the four services as child processes on one NATS
 * server (projecting into InfluxDB when a target is given), their output prefixed by name,
 * until interrupted (then each is stopped cleanly). Each service connects with its own role's
 * credentials from the credentials directory (METATWIN_NATS_CREDS_DIR, or the one
 * scripts/servers.sh made), so each may publish its own signals and no other's.
 */
export async function upCommand(argv: string[], write: (s: string) => void): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { nats: { type: 'string' }, influx: { type: 'string' } }, strict: true });
  // Checked here so a bad value is one clear error, not four failing services.
  const influx = influxTargetArg(values.influx);
  const influxUrl = influx ? (values.influx ?? process.env.METATWIN_INFLUX_URL ?? '') : '';
  const natsUrl = values.nats ?? process.env.METATWIN_NATS_URL ?? 'nats://127.0.0.1:4222';
  if (!/^(nats|tls):\/\//.test(natsUrl)) throw new UsageError(`--nats must be a nats:// (or tls://) URL, got "${natsUrl}"`);
  let credentials: string | null;
  try {
    credentials = credentialsDir();
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const single = ONE_PROCESS_CREDENTIALS.slice(0, 2).find((name) => process.env[name]);
  if (credentials === null && single)
    throw new UsageError(
      `${single} holds one process's credentials, and each of the four services needs its own role's: set METATWIN_NATS_CREDS_DIR to a folder of <role>.nk files`,
    );
  const childEnv: NodeJS.ProcessEnv = { ...process.env, METATWIN_NATS_URL: natsUrl, METATWIN_INFLUX_URL: influxUrl };
  if (credentials !== null) {
    for (const name of ONE_PROCESS_CREDENTIALS) delete childEnv[name];
    childEnv.METATWIN_NATS_CREDS_DIR = credentials;
  }
  // InfluxDB: the services write as the writer, found as the CLI found it (the environment, or
  // the passwords scripts/servers.sh made), the folder made absolute for the children.
  if (influx?.from && influx.from.endsWith('writer.password')) childEnv.METATWIN_INFLUX_CREDS_DIR = dirname(influx.from);
  const serve = join(__dirname, '..', '..', '..', '..', '..', 'bin', 'serve.js');
  const children: ChildProcess[] = SOURCES.map((name) => {
    const child = spawn(process.execPath, [serve, name], {
      env: childEnv,
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
  write(
    `metatwin up: ${SOURCES.join(', ')} on ${natsUrl}${influx ? `, projecting into ${influx.url} as ${influx.username ? `user ${influx.username} (from ${influx.from})` : 'an anonymous client'}` : ''} (Ctrl-C stops them)\n`,
  );
  write(
    credentials !== null
      ? `metatwin up: each service connects with its own role's credentials from ${credentials}\n`
      : 'metatwin up: no NATS credentials directory (METATWIN_NATS_CREDS_DIR, or .tmp/servers/nats-auth from scripts/servers.sh): the services connect as the environment says, or anonymously\n',
  );
  const stop = (): void => children.forEach((c) => c.exitCode === null && c.kill('SIGTERM'));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const codes = await Promise.all(children.map((c) => new Promise<number>((resolve) => c.once('exit', (code) => resolve(code ?? 0)))));
  return codes.every((c) => c === 0) ? 0 : 1;
}
