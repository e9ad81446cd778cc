/**
 * The test cluster and the production cluster configuration it renders: three nats-server
 * nodes routed on loopback, an R3 stream surviving the crash (and then the graceful stop) of
 * its leader, with the failover timed, and deploy/nats-cluster's renderer and compose file.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { StorageType, connect, type JetStreamManager, type NatsConnection } from 'nats';
import { parse } from 'yaml';
import { REPO_ROOT, findServerBinary, startNatsCluster, testCredentials, type NatsCluster } from './index';

const STREAM = 'CLUSTER_CHECK';
const MESSAGES = 50;
/** JetStream API time-out, ms: short, so a call that went to a dead leader is retried soon. */
const API_TIMEOUT_MS = 1_000;

const encode = (text: string): Uint8Array => new TextEncoder().encode(text);
const decode = (data: Uint8Array): string => new TextDecoder().decode(data);

/** Calls `fn` until it succeeds or `timeoutMs` passes; during an election API calls time out, so clients retry. */
async function retry<T>(timeoutMs: number, fn: () => Promise<T>): Promise<{ value: T; failures: number }> {
  const deadline = Date.now() + timeoutMs;
  for (let failures = 0; ; failures++) {
    try {
      return { value: await fn(), failures };
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

async function readAll(jsm: JetStreamManager, count: number): Promise<string[]> {
  const out: string[] = [];
  for (let seq = 1; seq <= count; seq++) out.push(decode((await jsm.streams.getMessage(STREAM, { seq })).data));
  return out;
}

/** Messages a node holds in its replica of STREAM (from its own /jsz), or -1 while it cannot say. */
async function storedOn(monitorUrl: string): Promise<number> {
  try {
    const jsz = (await (await fetch(`${monitorUrl}/jsz?accounts=true&streams=true`)).json()) as {
      account_details?: Array<{ stream_detail?: Array<{ name: string; state: { messages: number } }> }>;
    };
    return jsz.account_details?.flatMap((a) => a.stream_detail ?? []).find((s) => s.name === STREAM)?.state.messages ?? -1;
  } catch {
    return -1;
  }
}

/** Waits up to 30 s for a node's replica of STREAM to hold `count` messages; what it holds then. */
async function storedEventually(monitorUrl: string, count: number): Promise<number> {
  const deadline = Date.now() + 30_000;
  let stored = await storedOn(monitorUrl);
  while (stored !== count && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    stored = await storedOn(monitorUrl);
  }
  return stored;
}

describe('startNatsCluster', () => {
  let cluster: NatsCluster;
  let nc: NatsConnection | undefined;
  let jsm: JetStreamManager;
  const expected = Array.from({ length: MESSAGES }, (_, i) => `job ${i + 1}`);

  beforeAll(async () => {
    cluster = await startNatsCluster(3);
    // Every URL, as a worker is given them: the client moves to a live node when its own dies.
    // admin: the spec makes, raises and inspects streams of its own.
    nc = await connect({ servers: cluster.urls, maxReconnectAttempts: -1, reconnectTimeWait: 100, noAsyncTraces: true, ...cluster.connectOptions('admin') });
    jsm = await nc.jetstreamManager({ timeout: API_TIMEOUT_MS });
  });
  afterAll(async () => {
    await nc?.close();
    await cluster?.stop();
  });

  it('starts three routed nodes on private loopback ports that agree on a meta leader', async () => {
    expect(cluster.servers.map((s) => s.name)).toEqual(['nats-1', 'nats-2', 'nats-3']);
    expect(cluster.url).toBe(cluster.urls.join(','));
    const ports = cluster.servers.flatMap((s) => [s.port, s.clusterPort, Number(new URL(s.monitorUrl).port)]);
    expect(new Set(ports).size).toBe(9);
    expect(ports).not.toContain(4222);
    for (const server of cluster.servers) {
      expect(server.url).toMatch(/^nats:\/\/127\.0\.0\.1:\d+$/);
      const routez = (await (await fetch(`${server.monitorUrl}/routez`)).json()) as { num_routes: number };
      expect([server.name, routez.num_routes]).toEqual([server.name, 2]);
      const varz = (await (await fetch(`${server.monitorUrl}/varz`)).json()) as { server_name: string; cluster: { name: string } };
      expect([varz.server_name, varz.cluster.name]).toEqual([server.name, cluster.name]);
    }
    expect(cluster.servers.map((s) => s.name)).toContain(await cluster.metaLeader());
    expect(cluster.serverByName('nats-2')).toBe(cluster.servers[1]);
    expect(() => cluster.serverByName('nats-9')).toThrow(/no server named "nats-9"/);
  });

  it('keeps an R3 stream readable and writable when its leader crashes, and times the failover', async () => {
    const info = await jsm.streams.add({ name: STREAM, subjects: ['check.>'], storage: StorageType.File, num_replicas: 3 });
    expect(info.config.num_replicas).toBe(3);
    const js = nc!.jetstream({ timeout: API_TIMEOUT_MS });
    for (const text of expected) await js.publish('check.job', encode(text));
    const leader = await cluster.streamLeader(STREAM);
    // Every replica has every message before the leader goes (an ack needs only 2 of the 3).
    for (const s of cluster.servers) expect([s.name, await storedEventually(s.monitorUrl, MESSAGES)]).toEqual([s.name, MESSAGES]);

    // From the crash on, a client keeps trying as a worker would, while the election runs.
    const t0 = performance.now();
    const since = <T>(p: Promise<T>): Promise<T & { at_ms: number }> => p.then((v) => Object.assign(v as object, { at_ms: performance.now() - t0 }) as T & { at_ms: number });
    cluster.serverByName(leader).kill();
    const [elected, read, written] = await Promise.all([
      since(cluster.streamLeader(STREAM, { timeoutMs: 30_000 }).then((name) => ({ name }))),
      since(retry(30_000, () => readAll(jsm, MESSAGES))),
      // The msgID makes a retry of a publish that was stored after all a duplicate, not a second message.
      since(retry(30_000, () => js.publish('check.job', encode('after the crash'), { msgID: 'after-the-crash' }))),
    ]);

    console.log(
      `R3 stream leader ${leader} killed (SIGKILL): ${elected.name} elected after ${elected.at_ms.toFixed(0)} ms; ` +
        `all ${MESSAGES} messages read back after ${read.at_ms.toFixed(0)} ms (${read.failures} failed attempts), ` +
        `a publish acknowledged after ${written.at_ms.toFixed(0)} ms (${written.failures} failed attempts)`,
    );
    expect(elected.name).not.toBe(leader);
    expect(read.value).toEqual(expected);
    expect(written.value.seq).toBe(MESSAGES + 1);
    expect((await jsm.streams.info(STREAM)).state.messages).toBe(MESSAGES + 1);
  });

  it('brings the crashed node back on its store to catch up, then survives a graceful stop of the new leader', async () => {
    const down = cluster.servers.find((s) => !s.running);
    if (!down) throw new Error('the previous test left every node running');
    await down.start();
    expect(down.running).toBe(true);
    expect(await storedEventually(down.monitorUrl, MESSAGES + 1)).toBe(MESSAGES + 1);

    const leader = await cluster.streamLeader(STREAM);
    const t0 = performance.now();
    await cluster.serverByName(leader).stop();
    const next = await cluster.streamLeader(STREAM, { timeoutMs: 30_000 });
    const elected_ms = performance.now() - t0;
    const read = await retry(30_000, () => readAll(jsm, MESSAGES));
    console.log(
      `R3 stream leader ${leader} stopped (SIGTERM): ${next} elected after ${elected_ms.toFixed(0)} ms; messages read back after ${(performance.now() - t0).toFixed(0)} ms`,
    );
    expect(next).not.toBe(leader);
    expect(read.value).toEqual(expected);
    await cluster.serverByName(leader).restart();
    expect(cluster.servers.every((s) => s.running)).toBe(true);
  });

  it('raises a stream created at 1 replica to 3 by an update (how an existing R1 stream is moved onto the cluster)', async () => {
    await retry(30_000, () => jsm.streams.add({ name: 'CLUSTER_R1', subjects: ['r1.>'], storage: StorageType.File, num_replicas: 1 }));
    await retry(30_000, () => nc!.jetstream({ timeout: API_TIMEOUT_MS }).publish('r1.x', encode('kept')));
    const { value: updated } = await retry(30_000, async () => jsm.streams.update('CLUSTER_R1', { ...(await jsm.streams.info('CLUSTER_R1')).config, num_replicas: 3 }));
    expect(updated.config.num_replicas).toBe(3);
    // The leader and its current followers: every node, once the new replicas caught up.
    const members = async (): Promise<string[]> => {
      const { cluster: c } = await jsm.streams.info('CLUSTER_R1');
      return [...new Set([c?.leader ?? '', ...(c?.replicas ?? []).filter((r) => r.current).map((r) => r.name)])].filter(Boolean).sort();
    };
    const deadline = Date.now() + 30_000;
    while ((await members()).length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(await members()).toEqual(['nats-1', 'nats-2', 'nats-3']);
    // Each new replica catches up from the leader (a snapshot), a little after it counts as current.
    const stored = async (monitorUrl: string): Promise<number> => {
      const jsz = (await (await fetch(`${monitorUrl}/jsz?accounts=true&streams=true`)).json()) as {
        account_details?: Array<{ stream_detail?: Array<{ name: string; state: { messages: number } }> }>;
      };
      return jsz.account_details?.flatMap((a) => a.stream_detail ?? []).find((d) => d.name === 'CLUSTER_R1')?.state.messages ?? -1;
    };
    for (const s of cluster.servers) {
      while ((await stored(s.monitorUrl)) !== 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect([s.name, await stored(s.monitorUrl)]).toEqual([s.name, 1]);
    }
  });
});

describe('startNatsCluster arguments', () => {
  it('refuses fewer than two nodes, which would never elect a meta leader', async () => {
    await expect(startNatsCluster(1)).rejects.toThrow(/size must be a whole number ≥ 2 \(one server: startNats\(\)\), got 1/);
  });
});

describe('deploy/nats-cluster', () => {
  const render = join(REPO_ROOT, 'deploy', 'nats-cluster', 'render.sh');
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'metatwin-cluster-render-'));
    // The template includes the clients' authorization from beside it, as metatwin nats-auth init writes it.
    copyFileSync(testCredentials().authFile, join(dir, 'auth.conf'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('render.sh writes, for each node, a configuration nats-server accepts, with routes to all three', () => {
    const bin = findServerBinary('nats-server', 'METATWIN_NATS_SERVER_BIN');
    for (const name of ['nats-1', 'nats-2', 'nats-3']) {
      const text = execFileSync('sh', [render, name, 'a.example', 'b.example', 'c.example:7222'], {
        env: { ...process.env, NATS_ROUTE_PASSWORD: 'secret-1', NATS_STORE_DIR: join(dir, name) },
        encoding: 'utf8',
      });
      expect(text).not.toMatch(/\{\{|\}\}/);
      expect(text).toContain(`server_name: ${name}\n`);
      expect(text).toContain(
        '"nats-route://metatwin-route:secret-1@a.example:6222", "nats-route://metatwin-route:secret-1@b.example:6222", "nats-route://metatwin-route:secret-1@c.example:7222"',
      );
      const file = join(dir, `${name}.conf`);
      writeFileSync(file, text);
      const check = spawnSync(bin, ['-t', '-c', file], { encoding: 'utf8' });
      expect([name, check.status, `${check.stdout}${check.stderr}`]).toEqual([name, 0, expect.stringMatching(/is valid/)]);
    }
  });

  it('render.sh refuses a missing or unsafe route password', () => {
    const run = (password?: string): string => {
      try {
        execFileSync('sh', [render, 'nats-1', 'a'], { env: { PATH: process.env.PATH, ...(password === undefined ? {} : { NATS_ROUTE_PASSWORD: password }) }, stdio: 'pipe' });
        return 'accepted';
      } catch (err) {
        return String((err as { stderr?: Buffer }).stderr);
      }
    };
    expect(run()).toMatch(/set NATS_ROUTE_PASSWORD/);
    expect(run('a|b@c')).toMatch(/NATS_ROUTE_PASSWORD must be letters/);
  });

  it('compose.cluster.yaml renders each of its three nodes with routes to all three', () => {
    type Service = { image?: string; command?: string[]; environment?: Record<string, string>; volumes?: string[] };
    const compose = parse(readFileSync(join(REPO_ROOT, 'deploy', 'compose.cluster.yaml'), 'utf8'), { merge: true }) as { services: Record<string, Service> };
    for (const name of ['nats-1', 'nats-2', 'nats-3']) {
      const svc = compose.services[name];
      expect(svc.image).toMatch(/^nats:2\./);
      expect(svc.command?.join(' ')).toContain(`render.sh ${name} nats-1 nats-2 nats-3 > /tmp/nats-server.conf && exec nats-server -c /tmp/nats-server.conf`);
      expect(svc.volumes).toContain('./nats-cluster:/etc/metatwin-nats:ro');
      expect(svc.environment).toMatchObject({ NATS_CLUSTER_NAME: 'metatwin', NATS_STORE_DIR: '/data' });
    }
    expect(compose.services.worker.environment?.METATWIN_NATS_REPLICAS).toBe('3');
  });
});
