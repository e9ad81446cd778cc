/**
 * Expected failures read as one line naming the problem and the remedy, with exit code 3,
 * not a stack trace: NATS unreachable, and no supervisor answering a run's start.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentialsEnv, startNats, type NatsServer } from '@metatwin/test-support';

const root = join(__dirname, '..', '..');

function cli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(root, 'bin', 'metatwin.js'), ...args], { cwd: root, env: { ...process.env, ...credentialsEnv() }, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('readable failures', () => {
  let nats: NatsServer;
  beforeAll(async () => {
    nats = await startNats();
  });
  afterAll(async () => {
    await nats?.stop();
  });

  it.each([
    ['run', ['run', 'xor', '--steps', '100', '--no-report', '--bus']],
    ['runs', ['runs', '--log']],
  ])('%s: NATS unreachable is one line with the remedy, exit 3', (_name, args) => {
    const r = cli([...args, 'nats://127.0.0.1:1', ...(args[0] === 'run' ? ['--out', mkdtempSync(join(tmpdir(), 'mt-fail-'))] : [])]);
    expect(r.status).toBe(3);
    expect(r.stderr.trim()).toMatch(
      /^metatwin (run|runs): cannot reach NATS at nats:\/\/127\.0\.0\.1:1 \(.+\): start it \(bash scripts\/servers\.sh start\) or name another server$/,
    );
  });

  it('an --out that cannot be made is one line naming it, exit 2, before anything runs', () => {
    const r = cli(['run', 'xor', '--steps', '100', '--no-report', '--out', '/etc/passwd/out']);
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe('metatwin run: --out /etc/passwd/out: cannot create it (ENOTDIR); name a folder you can write');
  });

  it('a run on a NATS where no services listen says to start them, exit 3', () => {
    const r = cli(['run', 'xor', '--steps', '100', '--no-report', '--bus', nats.url, '--out', mkdtempSync(join(tmpdir(), 'mt-fail-'))]);
    expect(r.status).toBe(3);
    expect(r.stderr.trim()).toBe(`metatwin run: no supervisor answers on ${nats.url} (mt.rpc.supervisor.start): start the four services (metatwin up --nats ${nats.url})`);
  });
});
