/**
 * NATS accounts and permissions (issue 14), against a real nats-server with the production
 * authorization (every role of libs/nats-auth, generated from its table) and the four services
 * as processes, each on its own role's credentials:
 * - an anonymous client, and one with a key the server does not know, cannot connect;
 * - a clean distributed run draws no permission violation from any process (the table covers
 *   what every role does);
 * - every forged signal of issue 14 is refused by the server for every role but the one that
 *   owns the signal's subject — while a run goes on, which completes identical to its reference;
 * - no role but the admin can delete, purge or reconfigure the event log or its catalogue;
 *   `metatwin prune` as the cli is refused, as the admin it works;
 * - an observer cannot start (or cancel) a run, but reads; nobody but the supervisor can take
 *   its run-control requests; a worker cannot queue jobs.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, JSONCodec, nkeys, type NatsConnection } from 'nats';
import { SIGNAL_TYPES, SOURCES, SUBJECTS, type SignalType, type Source } from '@metatwin/contracts';
import { JetStreamEventLog } from '@metatwin/eventlog';
import type { RunResult } from '@metatwin/experiments';
import { CATALOGUE_BUCKET, LOG_STREAM, RUN_CONTROL, connectionOptions, natsSecurity, type NatsRole } from '@metatwin/nats-auth';
import { killClis, startCli, startNats, startServices, stopServices, type NatsServer, type ServiceProcess } from '@metatwin/test-support';
import { forgeries } from './forgeries';

const STEPS = 1500;
const type = (t: SignalType): number => SIGNAL_TYPES.indexOf(t);
const tempDir = (prefix: string): string => mkdtempSync(join(tmpdir(), prefix));
/** result.json without wall time, run id and mode: the numbers every path must agree on. */
const numbers = (r: RunResult & { run?: string; mode?: string }): string => JSON.stringify({ ...r, wall_s: 0, run: undefined, mode: undefined });
const resultOf = (dir: string): RunResult & { run: string } => JSON.parse(readFileSync(join(dir, 'result.json'), 'utf8')) as RunResult & { run: string };

/** Issue 14's forgeries, and an ADC sample posed as measurement's. */
const forgeriesWithAdc = (k: number): Array<[Source, SignalType, object]> => [
  ...forgeries(k),
  ['measurement', 'AdcSampled', { step: k, datapoint: 0, address: 1, nodeCode: 255, gateCode: 0, repeats: 1 }],
];
const batch = (runId: string, source: Source, seq: number, t: SignalType, data: object): Uint8Array =>
  new TextEncoder().encode(JSON.stringify({ runId, source, firstSeq: seq, lastSeq: seq, records: [[type(t), seq, 0, data]] }));

/** Roles that may not write a source's signals: every one but that source's own (and the recorder of embedded runs, and the admin). */
const FORGERS: NatsRole[] = [...SOURCES, 'cli', 'worker', 'observer'];

describe('NATS roles and permissions (real nats-server with the production authorization, four services)', () => {
  let nats: NatsServer;
  let services: ServiceProcess[] = [];
  const clients = new Map<NatsRole, NatsConnection>();
  let reference: string;

  const client = async (role: NatsRole): Promise<NatsConnection> => {
    let nc = clients.get(role);
    if (!nc) {
      nc = await connect({ servers: nats.url, name: `security-spec-${role}`, ...nats.connectOptions(role) });
      clients.set(role, nc);
    }
    return nc;
  };
  const run = (env: Record<string, string> = {}, dir = tempDir('mt-sec-run-')) => ({
    dir,
    cli: startCli(['run', 'xor', '--steps', String(STEPS), '--bus', nats.url, '--out', dir, '--no-report', '--on-interrupt', 'cancel'], env),
  });

  beforeAll(async () => {
    nats = await startNats();
    services = await startServices({ natsUrl: nats.url });
    const dir = tempDir('mt-sec-ref-');
    const ref = await startCli(['run', 'xor', '--steps', String(STEPS), '--bus', 'direct', '--out', dir, '--no-report']).within(120_000);
    expect(ref.code).toBe(0);
    reference = numbers(resultOf(dir));
  });

  afterAll(async () => {
    killClis();
    for (const nc of clients.values()) await nc.close().catch(() => undefined);
    await stopServices(services);
    await nats?.stop();
  });

  it('refuses an anonymous client, and a client whose key it does not know', async () => {
    await expect(connect({ servers: nats.url, reconnect: false })).rejects.toMatchObject({ code: 'AUTHORIZATION_VIOLATION' });
    const stranger = join(tempDir('mt-sec-stranger-'), 'cli.nk');
    writeFileSync(stranger, new TextDecoder().decode(nkeys.createUser().getSeed()), { mode: 0o600 });
    const security = natsSecurity('cli', { METATWIN_NATS_CREDS: stranger });
    await expect(connect({ servers: nats.url, reconnect: false, ...connectionOptions(security) })).rejects.toMatchObject({ code: 'AUTHORIZATION_VIOLATION' });
    // The CLI says so in one line, naming the role and where its credentials came from.
    const r = await startCli(['runs', '--log', nats.url], { METATWIN_NATS_CREDS: stranger }).within(30_000);
    expect(r.code).toBe(2);
    expect(r.out.trim()).toBe(
      `metatwin runs: ${nats.url}: NATS refused the credentials of role cli (from METATWIN_NATS_CREDS): set METATWIN_NATS_CREDS_DIR to the directory metatwin nats-auth init wrote (scripts/servers.sh prints it), or METATWIN_NATS_CREDS`,
    );
  });

  it('runs a distributed run with every process on its own role without one permission violation, equal to the embedded reference', async () => {
    const { dir, cli } = run();
    const r = await cli.within(120_000);
    expect(r.code).toBe(0);
    expect(numbers(resultOf(dir))).toBe(reference);
    expect(nats.logText()).not.toMatch(/Violation/);
  });

  it("refuses every forged signal from every role but the signal's owner, and the run it targets completes identical to its reference", async () => {
    const { dir, cli } = run();
    // The run's id, once the supervisor has catalogued it.
    const reader = await JetStreamEventLog.connect({ servers: nats.url, security: nats.security('observer') });
    let runId: string | undefined;
    try {
      for (let i = 0; i < 300 && runId === undefined; i++) {
        runId = (await reader.entries()).find((e) => e.status === 'running')?.run;
        if (runId === undefined) await new Promise((r) => setTimeout(r, 50));
      }
    } finally {
      await reader.close();
    }
    expect(runId).toBeDefined();
    const refused: string[] = [];
    for (const role of FORGERS) {
      const js = (await client(role)).jetstream();
      for (const [source, t, data] of forgeriesWithAdc(STEPS / 2)) {
        if (source === role) continue;
        const attempt = js.publish(`mtlog.${runId}.${source}`, batch(runId as string, source, 1, t, data), { timeout: 5000 });
        await expect(attempt).rejects.toMatchObject({ code: 'PERMISSIONS_VIOLATION' });
        refused.push(`${role} as ${source}: ${t}`);
      }
      // Nor may it rewrite the run's catalogue entry (only the supervisor keeps it).
      if (role !== 'supervisor')
        await expect(js.publish(`$KV.${CATALOGUE_BUCKET}.${runId}`, new TextEncoder().encode('{"status":"finished"}'), { timeout: 5000 })).rejects.toMatchObject({
          code: 'PERMISSIONS_VIOLATION',
        });
    }
    // 7 forgers × 7 forgeries, less the 7 each forgery's owner may send (the receiver's checks are for those).
    expect(refused).toHaveLength(42);
    const r = await cli.within(120_000);
    expect(r.code).toBe(0);
    expect(numbers(resultOf(dir))).toBe(reference);
  });

  it('lets no role but the admin delete, purge or reconfigure the event log or its catalogue; prune needs the admin', async () => {
    const admin = await (await client('admin')).jetstreamManager();
    const before = await admin.streams.info(LOG_STREAM);
    for (const role of [...FORGERS, 'recorder'] as NatsRole[]) {
      const jsm = await (await client(role)).jetstreamManager();
      const refusedAs = { code: 'PERMISSIONS_VIOLATION' };
      await expect(jsm.streams.purge(LOG_STREAM)).rejects.toMatchObject(refusedAs);
      await expect(jsm.streams.purge(LOG_STREAM, { filter: 'mtlog.*.supervisor' })).rejects.toMatchObject(refusedAs);
      await expect(jsm.streams.delete(LOG_STREAM)).rejects.toMatchObject(refusedAs);
      await expect(jsm.streams.update(LOG_STREAM, { ...before.config, max_msg_size: 10 })).rejects.toMatchObject(refusedAs);
      await expect(jsm.streams.deleteMessage(LOG_STREAM, before.state.first_seq)).rejects.toMatchObject(refusedAs);
      await expect(jsm.streams.purge(`KV_${CATALOGUE_BUCKET}`)).rejects.toMatchObject(refusedAs);
      await expect(jsm.streams.delete(`KV_${CATALOGUE_BUCKET}`)).rejects.toMatchObject(refusedAs);
    }
    const after = await admin.streams.info(LOG_STREAM);
    expect(after.state.messages).toBe(before.state.messages);
    expect(after.config.max_msg_size).toBe(before.config.max_msg_size);
    // The admin may: a purge of a run that does not exist changes nothing and is allowed.
    expect((await admin.streams.purge(LOG_STREAM, { filter: 'mtlog.no-such-run.*' })).success).toBe(true);

    // `metatwin prune` purges a run's subjects: refused as the cli, done as the admin (its default role).
    const runs = JSON.parse((await startCli(['runs', '--log', nats.url, '--json']).within(30_000)).out) as Array<{ run: string; status: string }>;
    const victim = runs.find((x) => x.status === 'finished')?.run as string;
    expect(victim).toBeDefined();
    const asCli = await startCli(['prune', '--log', nats.url, '--run', victim], { METATWIN_NATS_ROLE: 'cli' }).within(30_000);
    expect(asCli.code).not.toBe(0);
    expect(asCli.out).toMatch(/Permissions Violation for Publish to "\$JS\.API\.STREAM\.PURGE\.METATWIN_LOG"/);
    expect((await admin.streams.info(LOG_STREAM)).state.messages).toBe(before.state.messages);
    const asAdmin = await startCli(['prune', '--log', nats.url, '--run', victim]).within(30_000);
    expect(asAdmin.code).toBe(0);
    const left = JSON.parse((await startCli(['runs', '--log', nats.url, '--json']).within(30_000)).out) as Array<{ run: string }>;
    expect(left.map((x) => x.run)).not.toContain(victim);
  });

  it('records an embedded run into the log as the recorder (its default for --record), and refuses it as the cli', async () => {
    const recorded = tempDir('mt-sec-rec-');
    const asRecorder = await startCli(['run', 'xor', '--steps', '300', '--record', nats.url, '--out', recorded, '--no-report']).within(120_000);
    // The CLI's own words when it fails (its exit code alone said nothing in a CI run that saw 1).
    if (asRecorder.code !== 0) throw new Error(`metatwin run --record as the recorder exited ${String(asRecorder.code)}:\n${asRecorder.out}`);
    expect({ code: asRecorder.code, out: asRecorder.out }).toEqual({ code: 0, out: expect.any(String) });
    // The services following the log leave an embedded run alone: it runs all four subsystems
    // itself. (They used to take it on too, and the log refused one side's second stream: the
    // service's, which it logged, or — when the service's batch landed first — the run's own.)
    const runId = resultOf(recorded).run;
    await new Promise((r) => setTimeout(r, 1000));
    for (const svc of services) expect({ service: svc.name, mentions: svc.output.includes(runId) }).toEqual({ service: svc.name, mentions: false });
    const asCli = await startCli(['run', 'xor', '--steps', '300', '--record', nats.url, '--out', tempDir('mt-sec-rec-cli-'), '--no-report'], {
      METATWIN_NATS_ROLE: 'cli',
    }).within(120_000);
    expect(asCli.code).not.toBe(0);
    expect(asCli.out).toMatch(/Permissions Violation for Publish to "(\$KV\.METATWIN_LOG_RUNS|mtlog)\./);
  });

  it('lets an observer read runs but not start or cancel one; only the supervisor takes run-control requests or answers as itself; a worker cannot queue jobs', async () => {
    const observed = await startCli(['runs', '--log', nats.url, '--json'], { METATWIN_NATS_ROLE: 'observer' }).within(30_000);
    expect(observed.code).toBe(0);
    expect((JSON.parse(observed.out) as unknown[]).length).toBeGreaterThan(0);

    const dir = tempDir('mt-sec-observer-');
    const started = await startCli(['run', 'xor', '--steps', '200', '--bus', nats.url, '--out', dir, '--no-report'], { METATWIN_NATS_ROLE: 'observer' }).within(60_000);
    expect(started.code).toBe(2);
    expect(started.out).toMatch(
      /NATS on nats:\/\/127\.0\.0\.1:\d+ does not let this role ask mt\.rpc\.supervisor\.start \(.*Permissions Violation.*\): run control needs the cli role's credentials/,
    );

    const codec = JSONCodec();
    for (const role of ['observer', 'worker', 'measurement', 'clamping', 'edge-physics'] as NatsRole[]) {
      const nc = await client(role);
      for (const subject of RUN_CONTROL)
        await expect(nc.request(subject, codec.encode({ pattern: subject, data: { runId: 'forged' }, id: 'x' }), { timeout: 5000 })).rejects.toMatchObject({
          code: 'PERMISSIONS_VIOLATION',
        });
    }

    // Nor answer as the supervisor: its answers go on its own reply namespace, which only it may publish on.
    for (const role of ['cli', 'observer', 'measurement', 'clamping', 'edge-physics'] as NatsRole[])
      await expect((await client(role)).request(SUBJECTS.reply('supervisor', 'forged'), codec.encode({ response: { ok: true } }), { timeout: 5000 })).rejects.toMatchObject({
        code: 'PERMISSIONS_VIOLATION',
      });

    // Answering as the supervisor: the cli may not even listen on its subjects.
    const cli = await client('cli');
    const subscribeError = new Promise<Error>((resolve) => cli.subscribe(RUN_CONTROL[0], { callback: (err) => err && resolve(err) }));
    expect(String(await subscribeError)).toMatch(/Permissions Violation for Subscription to "mt\.rpc\.supervisor\.start"/);

    const worker = (await client('worker')).jetstream();
    await expect(worker.publish('mt.study.jobs.forged', new TextEncoder().encode('{}'), { timeout: 5000 })).rejects.toMatchObject({ code: 'PERMISSIONS_VIOLATION' });
  });
});
