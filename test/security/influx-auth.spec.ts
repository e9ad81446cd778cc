/**
 * InfluxDB with auth as deployed (issue 14, item 3), against a real influxd started with
 * deploy/influxdb/influxdb.conf (auth-enabled = true): an anonymous client may neither write
 * nor query, Grafana's reader reads and may not write, the projector's writer writes and may
 * not read or administer, a refused login names the user and the URL and never the password,
 * and a real run projected by the writer is there for the reader.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { InfluxAuthError, InfluxSink, influxTarget, type InfluxTarget } from '@metatwin/influx';
import { DEFAULT_DATABASE, type Point } from '@metatwin/projection';
import { REPO_ROOT, freePort, startInflux, type InfluxServer } from '@metatwin/test-support';

const DB = DEFAULT_DATABASE;
const LINE = 'probe,edge=1 gate_V=1.5 1700000000';

/** The CLI from an empty folder (so no development passwords under .tmp/servers are found), with only `env` for InfluxDB. */
function metatwin(args: string[], env: Record<string, string>): { status: number | null; out: string } {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('METATWIN_INFLUX_')));
  const r = spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'metatwin.js'), ...args], {
    cwd: mkdtempSync(join(tmpdir(), 'metatwin-influx-auth-cwd-')),
    env: { ...base, METATWIN_INFLUX_WAIT_S: '3', ...env },
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

const point = (i: number): Point => ({ measurement: 'gate', tags: { run: 'auth-probe', edge: String(i) }, fields: { gate_V: i, step: i }, time_us: 1_700_000_000_000_000 + i });

describe('InfluxDB with auth: a writer for the projection, a reader for Grafana, nobody else', () => {
  let influx: InfluxServer;
  const write = (headers: Record<string, string> = {}): Promise<Response> => fetch(`${influx.url}/write?db=${DB}&precision=s`, { method: 'POST', headers, body: LINE });
  const query = (q: string, headers: Record<string, string> = {}): Promise<Response> => fetch(`${influx.url}/query?${new URLSearchParams({ db: DB, q, epoch: 's' })}`, { headers });

  beforeAll(async () => (influx = await startInflux()));
  afterAll(async () => influx?.stop());

  it('deploys auth: influxd.conf enables it, Grafana reads as the reader from its environment, no password in deploy/', () => {
    const conf = readFileSync(join(REPO_ROOT, 'deploy', 'influxdb', 'influxdb.conf'), 'utf8');
    expect(conf).toMatch(/^\[http\][^[]*^\s*auth-enabled = true$/m);
    const ds = parse(readFileSync(join(REPO_ROOT, 'deploy', 'grafana', 'provisioning', 'datasources', 'influxdb.yaml'), 'utf8')).datasources[0];
    expect(ds.user).toBe('$METATWIN_INFLUX_READER_USER');
    expect(ds.secureJsonData).toEqual({ password: '$METATWIN_INFLUX_READER_PASSWORD' });
    const compose = parse(readFileSync(join(REPO_ROOT, 'deploy', 'compose.yaml'), 'utf8'));
    expect(compose.services.grafana.environment).toMatchObject({ METATWIN_INFLUX_READER_USER: 'reader' });
    expect(compose.services.influxdb.environment).toMatchObject({ INFLUXDB_HTTP_AUTH_ENABLED: 'true', INFLUXDB_WRITE_USER: 'writer', INFLUXDB_READ_USER: 'reader' });
    // Every password in compose is a required variable of the host's, never a value.
    for (const [name, value] of Object.entries({ ...compose.services.influxdb.environment, ...compose.services.grafana.environment, ...compose.services.measurement.environment }))
      if (/PASSWORD/.test(name)) expect(String(value)).toMatch(/^\$\{METATWIN_INFLUX_[A-Z]+_PASSWORD:\?/);
  });

  it('keeps the generated passwords in files of mode 0600, in a folder of mode 0700', () => {
    expect(statSync(influx.credentialsDir).mode & 0o777).toBe(0o700);
    const files = readdirSync(influx.credentialsDir).sort();
    expect(files).toEqual(['admin.password', 'reader.password', 'writer.password']);
    for (const f of files) expect(statSync(join(influx.credentialsDir, f)).mode & 0o777).toBe(0o600);
    expect(new Set(Object.values(influx.users).map((u) => u.password)).size).toBe(3);
  });

  it('refuses an anonymous write and an anonymous query (401)', async () => {
    expect((await write()).status).toBe(401);
    expect((await query('SHOW MEASUREMENTS')).status).toBe(401);
    expect((await fetch(`${influx.url}/query`, { method: 'POST', body: new URLSearchParams({ q: "CREATE USER intruder WITH PASSWORD 'x' WITH ALL PRIVILEGES" }) })).status).toBe(
      401,
    );
  });

  it('refuses a wrong password (401)', async () => {
    const wrong = { Authorization: `Basic ${Buffer.from('writer:not-the-password').toString('base64')}` };
    expect((await write(wrong)).status).toBe(401);
  });

  it('lets the writer write, and nothing else: no query, no new database, no user', async () => {
    expect((await write(influx.headers('writer'))).status).toBe(204);
    expect((await query('SELECT gate_V FROM probe', influx.headers('writer'))).status).toBe(403);
    const admin = async (q: string): Promise<number> =>
      (await fetch(`${influx.url}/query`, { method: 'POST', headers: influx.headers('writer'), body: new URLSearchParams({ q }) })).status;
    expect(await admin('CREATE DATABASE writer_made')).toBe(403);
    expect(await admin("CREATE USER w2 WITH PASSWORD 'x'")).toBe(403);
  });

  it('lets the reader read, and not write (403)', async () => {
    const res = await query('SELECT gate_V FROM probe', influx.headers('reader'));
    expect(res.status).toBe(200);
    const body = (await res.json()) as { results: Array<{ series?: Array<{ values: unknown[][] }> }> };
    expect(body.results[0].series?.[0].values).toEqual([[1700000000, 1.5]]);
    expect((await write(influx.headers('reader'))).status).toBe(403);
  });

  it('a sink refused names the user, the URL and where the credentials came from, never the password', async () => {
    const cases: Array<{ env: Record<string, string>; expected: RegExp; status: number }> = [
      {
        env: { METATWIN_INFLUX_USER: 'writer', METATWIN_INFLUX_PASSWORD: 'wrong-secret-123' },
        expected: /refused the login of user "writer" \(credentials from METATWIN_INFLUX_USER\)/,
        status: 401,
      },
      {
        env: { METATWIN_INFLUX_USER: 'reader', METATWIN_INFLUX_PASSWORD_FILE: join(influx.credentialsDir, 'reader.password') },
        expected: /refused a write to database "metatwin" by user "reader"/,
        status: 403,
      },
      { env: {}, expected: /refused the login of an anonymous client \(no METATWIN_INFLUX_USER\)/, status: 401 },
    ];
    for (const c of cases) {
      const target = influxTarget(influx.url, c.env, mkdtempSync(join(tmpdir(), 'metatwin-influx-auth-cwd-'))) as InfluxTarget;
      const errors: Error[] = [];
      const sink = new InfluxSink(target, { linger_ms: 0, retryMin_ms: 50, retryMax_ms: 50, onError: (e) => errors.push(e) });
      await sink.write([point(1)]);
      expect(await sink.flush(1500)).toBe(false);
      await sink.close();
      expect(errors.length).toBeGreaterThan(0);
      const err = errors[0];
      expect(err).toBeInstanceOf(InfluxAuthError);
      expect((err as InfluxAuthError).status).toBe(c.status);
      expect(err.message).toMatch(c.expected);
      expect(err.message).toContain(`InfluxDB at ${influx.url}/metatwin`);
      for (const u of Object.values(influx.users)) expect(err.message).not.toContain(u.password);
      expect(err.message).not.toContain('wrong-secret-123');
    }
  });

  it('the writer projects a real run that the reader then reads; the CLI with a wrong password says so, and fails', async () => {
    const out = mkdtempSync(join(tmpdir(), 'metatwin-influx-auth-'));
    const log = join(out, 'log');
    const run = metatwin(['run', 'xor', '--steps', '400', '--record', log, '--influx', influx.url, '--no-report', '--out', out], { ...influx.env });
    expect({ status: run.status, out: run.out }).toMatchObject({ status: 0 });
    expect(run.out).toMatch(/influx: \d+ points of run/);
    const runId = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')).run as string;
    const res = await query(`SELECT count("gate_V") FROM "gate" WHERE "run" = '${runId}'`, influx.headers('reader'));
    const body = (await res.json()) as { results: Array<{ series?: Array<{ values: number[][] }> }> };
    expect(body.results[0].series?.[0].values[0][1]).toBeGreaterThan(0);

    const secret = 'wrong-secret-456';
    const refused = metatwin(['influx', 'rebuild', runId, '--log', log, '--influx', influx.url], { METATWIN_INFLUX_USER: 'writer', METATWIN_INFLUX_PASSWORD: secret });
    expect(refused.status).toBe(1);
    expect(refused.out).toContain(`InfluxDB at ${influx.url}/metatwin refused the login of user "writer"`);
    expect(refused.out).not.toContain(secret);
  });
});

describe('scripts/servers.sh makes the InfluxDB users, and metatwin writes as the writer with nothing set', () => {
  const home = mkdtempSync(join(tmpdir(), 'metatwin-influx-devsetup-'));
  const dir = join(home, '.tmp', 'servers');
  const auth = join(dir, 'influx-auth');
  let ports: Record<string, string>;
  const bare = (): NodeJS.ProcessEnv => Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('METATWIN_INFLUX_') && !k.startsWith('METATWIN_NATS_')));
  const servers = (cmd: string): { status: number | null; out: string } => {
    const r = spawnSync('bash', [join(REPO_ROOT, 'scripts', 'servers.sh'), cmd, '--dir', dir], { env: { ...bare(), ...ports }, encoding: 'utf8', timeout: 120_000 });
    return { status: r.status, out: `${r.stdout}${r.stderr}` };
  };

  beforeAll(async () => {
    const [nats, monitor, influx, rpc] = [await freePort(), await freePort(), await freePort(), await freePort()];
    ports = { METATWIN_NATS_PORT: String(nats), METATWIN_NATS_MONITOR_PORT: String(monitor), METATWIN_INFLUX_PORT: String(influx), METATWIN_INFLUX_RPC_PORT: String(rpc) };
  });
  afterAll(() => {
    servers('stop');
    rmSync(home, { recursive: true, force: true });
  });

  it('start makes admin, writer and reader (0600 files); an embedded --influx run from that folder projects as the writer', async () => {
    const started = servers('start');
    expect(started).toMatchObject({ status: 0 });
    expect(started.out).toContain(`METATWIN_INFLUX_CREDS_DIR=${auth}`);
    for (const user of ['admin', 'writer', 'reader']) expect(statSync(join(auth, `${user}.password`)).mode & 0o777).toBe(0o600);
    const url = `http://127.0.0.1:${ports.METATWIN_INFLUX_PORT}`;
    expect((await fetch(`${url}/query?q=SHOW+DATABASES`)).status).toBe(401);

    const out = join(home, 'out');
    const r = spawnSync(
      process.execPath,
      [join(REPO_ROOT, 'bin', 'metatwin.js'), 'run', 'xor', '--steps', '300', '--record', join(home, 'log'), '--influx', url, '--no-report', '--out', out],
      {
        cwd: home,
        env: bare(),
        encoding: 'utf8',
        timeout: 120_000,
      },
    );
    expect({ status: r.status, out: `${r.stdout}${r.stderr}` }).toMatchObject({ status: 0 });
    expect(r.stdout).toMatch(/influx: \d+ points of run/);
    const runId = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')).run as string;
    const reader = `reader:${readFileSync(join(auth, 'reader.password'), 'utf8').trim()}`;
    const res = await fetch(`${url}/query?${new URLSearchParams({ db: DB, q: `SELECT count("gate_V") FROM "gate" WHERE "run" = '${runId}'` })}`, {
      headers: { Authorization: `Basic ${Buffer.from(reader).toString('base64')}` },
    });
    const body = (await res.json()) as { results: Array<{ series?: Array<{ values: number[][] }> }> };
    expect(body.results[0].series?.[0].values[0][1]).toBeGreaterThan(0);
    // A second start keeps the passwords (the users exist already in influxd's meta).
    const password = readFileSync(join(auth, 'writer.password'), 'utf8');
    expect(servers('stop').status).toBe(0);
    expect(servers('start')).toMatchObject({ status: 0 });
    expect(readFileSync(join(auth, 'writer.password'), 'utf8')).toBe(password);
  });
});
