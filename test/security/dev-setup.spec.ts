/**
 * The README's two commands still need no set-up with authorization on (issue 14):
 * `bash scripts/servers.sh start` makes the development credentials (a seed per role, mode
 * 0600, in a 0700 folder) and a nats-server that refuses anonymous clients, and `metatwin up`
 * plus `metatwin run … --bus nats://…`, run from the folder that holds `.tmp/servers`, find
 * their roles' seeds by themselves. Rotating a role's seed and `servers.sh reload` lock the
 * old seed out and let the new one in, without restarting the server.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'nats';
import { connectionOptions, natsSecurity } from '@metatwin/nats-auth';
import { REPO_ROOT, freePort } from '@metatwin/test-support';

/** The environment of someone who has set nothing: no credentials of the test process. */
function bareEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = { ...process.env, ...extra };
  for (const name of Object.keys(env)) if (name.startsWith('METATWIN_NATS_') && !(name in extra)) delete env[name];
  return env;
}

describe('scripts/servers.sh and metatwin up with authorization, as the README runs them', () => {
  const home = mkdtempSync(join(tmpdir(), 'metatwin-devsetup-'));
  const dir = join(home, '.tmp', 'servers');
  const creds = join(dir, 'nats-auth');
  let ports: Record<string, string>;
  let url: string;
  let up: ChildProcess | null = null;
  let upOutput = '';

  const servers = (cmd: string): { status: number | null; out: string } => {
    const r = spawnSync('bash', [join(REPO_ROOT, 'scripts', 'servers.sh'), cmd, '--dir', dir], { env: bareEnv(ports), encoding: 'utf8', timeout: 120_000 });
    return { status: r.status, out: `${r.stdout}${r.stderr}` };
  };
  /** The CLI from `home`, as a user in a checkout runs it from its root. */
  const metatwin = (args: string[], extra: Record<string, string> = {}): { status: number | null; stdout: string; out: string } => {
    const r = spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'metatwin.js'), ...args], { cwd: home, env: bareEnv(extra), encoding: 'utf8', timeout: 120_000 });
    return { status: r.status, stdout: r.stdout, out: `${r.stdout}${r.stderr}` };
  };

  beforeAll(async () => {
    const [nats, monitor, influx, rpc] = [await freePort(), await freePort(), await freePort(), await freePort()];
    ports = {
      METATWIN_NATS_PORT: String(nats),
      METATWIN_NATS_MONITOR_PORT: String(monitor),
      METATWIN_INFLUX_PORT: String(influx),
      METATWIN_INFLUX_RPC_PORT: String(rpc),
    };
    url = `nats://127.0.0.1:${nats}`;
  });

  afterAll(async () => {
    if (up && up.exitCode === null) {
      const gone = new Promise((r) => up?.once('exit', r));
      up.kill('SIGTERM');
      await gone;
    }
    servers('stop');
    rmSync(home, { recursive: true, force: true });
  });

  it('servers.sh start makes the credentials and a server that refuses anonymous clients', async () => {
    const r = servers('start');
    expect(r).toMatchObject({ status: 0 });
    expect(r.out).toContain(`METATWIN_NATS_CREDS_DIR=${creds}`);
    expect(statSync(creds).mode & 0o777).toBe(0o700);
    for (const role of ['supervisor', 'clamping', 'edge-physics', 'measurement', 'cli', 'admin']) expect(statSync(join(creds, `${role}.nk`)).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'auth.conf')).mode & 0o777).toBe(0o600);
    await expect(connect({ servers: url, reconnect: false })).rejects.toMatchObject({ code: 'AUTHORIZATION_VIOLATION' });
  });

  it('metatwin up and a distributed run find their roles’ seeds with nothing set', async () => {
    up = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'metatwin.js'), 'up', '--nats', url], { cwd: home, env: bareEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    up.stdout?.on('data', (d) => (upOutput += d));
    up.stderr?.on('data', (d) => (upOutput += d));
    // The run waits for the supervisor: retry while the services start.
    let r = { status: null as number | null, stdout: '', out: '' };
    const out = join(home, 'run');
    for (let i = 0; i < 20; i++) {
      r = metatwin(['run', 'xor', '--steps', '300', '--bus', url, '--out', out, '--no-report']);
      if (r.status !== 3) break;
      await new Promise((res) => setTimeout(res, 1000));
    }
    expect(upOutput).toContain(`each service connects with its own role's credentials from ${creds}`);
    expect({ status: r.status, out: r.out }).toMatchObject({ status: 0 });
    expect(JSON.parse(readFileSync(join(out, 'result.json'), 'utf8'))).toMatchObject({ mode: 'distributed', steps: 300 });
    expect(readFileSync(join(dir, 'nats.log'), 'utf8')).not.toMatch(/Violation/);
  });

  it('rotating a role and reloading the server locks the old seed out and lets the new one in', async () => {
    const old = join(home, 'old-cli.nk');
    copyFileSync(join(creds, 'cli.nk'), old);
    expect(metatwin(['nats-auth', 'rotate', '--dir', creds, '--role', 'cli'])).toMatchObject({ status: 0 });
    expect(servers('reload')).toMatchObject({ status: 0 });
    const oldSecurity = natsSecurity('cli', { METATWIN_NATS_CREDS: old });
    let refused = false;
    // The reload is a signal: give the server a moment to take the new block.
    for (let i = 0; i < 50 && !refused; i++) {
      refused = await connect({ servers: url, reconnect: false, ...connectionOptions(oldSecurity) }).then(
        async (nc) => {
          await nc.close();
          return false;
        },
        (err: { code?: string }) => err.code === 'AUTHORIZATION_VIOLATION',
      );
      if (!refused) await new Promise((res) => setTimeout(res, 100));
    }
    expect(refused).toBe(true);
    const runs = metatwin(['runs', '--log', url, '--json']);
    expect(runs).toMatchObject({ status: 0 });
    expect((JSON.parse(runs.stdout) as unknown[]).length).toBe(1);
  });
});
