/**
 * A private nats-server cluster for tests of replicated JetStream (R3 streams, leader
 * failover, workers on several servers): `size` nodes on free loopback ports, each with its
 * own store, rendered from the production template deploy/nats-cluster/nats-server.conf
 * (route authorization included), so the tests run the configuration users deploy. Like
 * startNats(), a server that is missing or does not come up fails loudly, and no server
 * already running on the machine is used or touched.
 */
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DEFAULT_START_TIMEOUT_MS, ServerStartError, findServerBinary, freePort, portTaken, spawnServer, stopServer, type ServerProcess } from './process';
import { AUTH_CONF, connectionOptions, type NatsRole, type NatsSecurity } from '@metatwin/nats-auth';
import { credentialsEnv, testCredentials, testSecurity } from './credentials';
import type { NatsStartOptions } from './servers';

/** deploy/nats-cluster/nats-server.conf, found from here (sources or dist/) when a cluster starts, not on import. */
function template(): string {
  for (let dir = __dirname; dir !== resolve(dir, '..'); dir = resolve(dir, '..')) {
    const file = resolve(dir, 'deploy', 'nats-cluster', 'nats-server.conf');
    if (existsSync(file)) return file;
  }
  throw new ServerStartError(`cannot find deploy/nats-cluster/nats-server.conf above ${__dirname}`);
}
/** Attempts when another process takes one of the 3 × size ports before its server binds it. */
const PORT_RACE_ATTEMPTS = 3;
const POLL_MS = 50;
const ROUTE_USER = 'metatwin-route';

/** One node of the cluster: a NatsServer-like handle that keeps its store until the cluster stops. */
export interface NatsClusterNode {
  /** server_name, e.g. nats-2: what JetStream reports as a stream's or the meta leader. */
  readonly name: string;
  /** Client URL, e.g. nats://127.0.0.1:40123 */
  readonly url: string;
  /** Monitoring base URL (varz, jsz, healthz). */
  readonly monitorUrl: string;
  readonly port: number;
  /** The route port the other nodes connect to. */
  readonly clusterPort: number;
  /** JetStream keeps this node's replicas under storeDir/jetstream. */
  readonly storeDir: string;
  /** The process id, -1 while the node is down. */
  readonly pid: number;
  readonly running: boolean;
  /** SIGTERM and wait for exit; the store stays, so start() or restart() brings the node back. */
  stop(): Promise<void>;
  /** SIGKILL without waiting: a crash. */
  kill(): void;
  /** Starts a stopped or killed node on the same ports and store; resolves once it sees a meta leader. */
  start(): Promise<void>;
  /** Stops (a crash when hard), stays down `down_ms` (default 0), and starts again. */
  restart(options?: { hard?: boolean; down_ms?: number }): Promise<void>;
}

export interface NatsCluster {
  /** The cluster's name (cluster { name }). */
  readonly name: string;
  /** Every node's client URL, in node order. */
  readonly urls: string[];
  /** The client URLs comma-joined, as `--nats` and METATWIN_NATS_URL take them. */
  readonly url: string;
  readonly servers: NatsClusterNode[];
  serverByName(name: string): NatsClusterNode;
  /**
   * Name of the server that leads `stream`'s Raft group — a running node that reports itself
   * as the leader — waiting up to `timeoutMs` (default 15 s) while an election is under way.
   */
  streamLeader(stream: string, options?: { timeoutMs?: number }): Promise<string>;
  /** Name of the JetStream meta leader, as every running node reports it, waiting while they disagree. */
  metaLeader(options?: { timeoutMs?: number }): Promise<string>;
  /** Stops every node and removes their stores. */
  stop(): Promise<void>;
  /** As NatsServer: the roles' authorization (default), the child environment, in-process credentials. */
  readonly authorization: boolean;
  readonly env: Readonly<Record<string, string>>;
  security(role: NatsRole): NatsSecurity;
  connectOptions(role: NatsRole): ReturnType<typeof connectionOptions>;
}

interface NodePorts {
  readonly client: number;
  readonly cluster: number;
  readonly monitor: number;
}

interface Jsz {
  readonly meta_cluster?: { readonly leader?: string; readonly cluster_size?: number };
  readonly account_details?: ReadonlyArray<{
    readonly stream_detail?: ReadonlyArray<{ readonly name: string; readonly cluster?: { readonly leader?: string } }>;
  }>;
}

function render(file: string, values: Record<string, string | number>): string {
  return readFileSync(file, 'utf8').replace(/\{\{([A-Z_]+)\}\}/g, (whole, key: string) => {
    const value = values[key];
    if (value === undefined) throw new ServerStartError(`${file}: no value for ${whole}`);
    return String(value);
  });
}

/** A node's /jsz, or null while it does not answer (down, or starting). */
async function jsz(monitorUrl: string, query = ''): Promise<Jsz | null> {
  try {
    const res = await fetch(`${monitorUrl}/jsz${query}`, { signal: AbortSignal.timeout(1_000) });
    return res.ok ? ((await res.json()) as Jsz) : null;
  } catch {
    return null;
  }
}

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = await probe();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new ServerStartError(`${what} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

async function distinctFreePorts(count: number): Promise<number[]> {
  const ports: number[] = [];
  while (ports.length < count) {
    const port = await freePort();
    if (!ports.includes(port)) ports.push(port);
  }
  return ports;
}

/**
 * Starts `size` nats-server nodes (JetStream, file stores) routed to each other on loopback,
 * and resolves once every node reports the same JetStream meta leader; stop() it in afterAll.
 */
export async function startNatsCluster(size = 3, options: Omit<NatsStartOptions, 'tls'> = {}): Promise<NatsCluster> {
  // A lone node with a cluster block waits for peers and never elects a meta leader: use startNats().
  if (!Number.isInteger(size) || size < 2) throw new RangeError(`startNatsCluster: size must be a whole number ≥ 2 (one server: startNats()), got ${size}`);
  const timeoutMs = options.timeoutMs ?? DEFAULT_START_TIMEOUT_MS;
  const bin = findServerBinary('nats-server', 'METATWIN_NATS_SERVER_BIN');
  const templateFile = template();
  const dir = mkdtempSync(join(tmpdir(), 'metatwin-nats-cluster-'));
  const clusterName = `metatwin-test-${randomBytes(3).toString('hex')}`;
  const password = randomBytes(12).toString('hex');
  const names = Array.from({ length: size }, (_, i) => `nats-${i + 1}`);
  const procs: Array<ServerProcess | null> = names.map(() => null);
  let ports: NodePorts[] = [];
  const authorization = (options.auth ?? 'roles') === 'roles';
  const security = (role: NatsRole): NatsSecurity => (authorization ? testSecurity(role) : { role });

  const nodeDir = (i: number): string => join(dir, names[i]);
  const conf = (i: number): string => join(nodeDir(i), 'nats.conf');
  const log = (i: number): string => join(nodeDir(i), 'nats.log');
  const monitorUrl = (i: number): string => `http://127.0.0.1:${ports[i].monitor}`;
  const spawnNode = (i: number): Promise<ServerProcess> =>
    spawnServer(`nats-server ${names[i]}`, bin, ['-c', conf(i)], log(i), `${monitorUrl(i)}/healthz?js-enabled-only=true`, 200, timeoutMs);
  const alive = (i: number): boolean => {
    const proc = procs[i];
    return proc !== null && proc.child.exitCode === null && proc.child.signalCode === null;
  };
  const stopAll = async (): Promise<void> => {
    await Promise.all(procs.map((p) => (p ? stopServer(p) : undefined)));
  };

  async function metaLeader({ timeoutMs: wait = timeoutMs } = {}): Promise<string> {
    return until(`the running nodes of ${clusterName} did not agree on a JetStream meta leader`, wait, async () => {
      const running = names.map((_, i) => i).filter(alive);
      const leaders = await Promise.all(running.map(async (i) => (await jsz(monitorUrl(i)))?.meta_cluster?.leader ?? ''));
      const leader = leaders[0];
      return leader && leaders.every((l) => l === leader) && running.some((i) => names[i] === leader) ? leader : undefined;
    });
  }

  try {
    for (let attempt = 1; ; attempt++) {
      const free = await distinctFreePorts(3 * size);
      ports = names.map((_, i) => ({ client: free[3 * i], cluster: free[3 * i + 1], monitor: free[3 * i + 2] }));
      // Every node routes to every node, itself included (a server ignores its route to itself).
      const routes = ports.map((p) => `"nats-route://${ROUTE_USER}:${password}@127.0.0.1:${p.cluster}"`).join(', ');
      names.forEach((name, i) => {
        mkdirSync(join(nodeDir(i), 'store'), { recursive: true });
        const values = {
          NATS_SERVER_NAME: name,
          NATS_CLUSTER_NAME: clusterName,
          NATS_HOST: '127.0.0.1',
          NATS_PORT: ports[i].client,
          NATS_CLUSTER_PORT: ports[i].cluster,
          NATS_MONITOR_HOST: '127.0.0.1',
          NATS_MONITOR_PORT: ports[i].monitor,
          NATS_STORE_DIR: join(nodeDir(i), 'store'),
          NATS_ROUTE_USER: ROUTE_USER,
          NATS_ROUTE_PASSWORD: password,
          NATS_ROUTES: routes,
        };
        writeFileSync(conf(i), render(templateFile, values));
        // The template includes auth.conf beside it: the roles' block, or (anonymous) nothing.
        if (authorization) copyFileSync(testCredentials().authFile, join(nodeDir(i), AUTH_CONF));
        else writeFileSync(join(nodeDir(i), AUTH_CONF), '# anonymous test cluster: no authorization\n');
      });
      const started = await Promise.allSettled(names.map((_, i) => spawnNode(i)));
      started.forEach((s, i) => (procs[i] = s.status === 'fulfilled' ? s.value : null));
      const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
      if (!failed) break;
      await stopAll();
      if (attempt >= PORT_RACE_ATTEMPTS || !names.some((_, i) => portTaken(log(i)))) throw failed.reason;
      for (let i = 0; i < size; i++) rmSync(nodeDir(i), { recursive: true, force: true });
    }
    await metaLeader();
    // A meta leader needs only a quorum: the last route of the full mesh may still be connecting.
    await until(`the nodes of ${clusterName} did not all route to each other`, timeoutMs, async () => {
      const routes = await Promise.all(names.map(async (_, i) => ((await (await fetch(`${monitorUrl(i)}/routez`)).json()) as { num_routes: number }).num_routes));
      return routes.every((n) => n >= size - 1) ? true : undefined;
    });
  } catch (err) {
    await stopAll();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }

  const servers: NatsClusterNode[] = names.map((name, i) => {
    const node: NatsClusterNode = {
      name,
      url: `nats://127.0.0.1:${ports[i].client}`,
      monitorUrl: monitorUrl(i),
      port: ports[i].client,
      clusterPort: ports[i].cluster,
      storeDir: join(nodeDir(i), 'store'),
      get pid() {
        return alive(i) ? (procs[i]?.child.pid ?? -1) : -1;
      },
      get running() {
        return alive(i);
      },
      async stop() {
        const proc = procs[i];
        if (proc) await stopServer(proc);
      },
      kill() {
        procs[i]?.child.kill('SIGKILL');
      },
      async start() {
        if (alive(i)) throw new ServerStartError(`${name} is already running`);
        const previous = procs[i];
        if (previous) await previous.exited;
        procs[i] = await spawnNode(i);
        await metaLeader();
      },
      async restart({ hard = false, down_ms = 0 } = {}) {
        const proc = procs[i];
        if (proc) await stopServer(proc, hard ? 'SIGKILL' : 'SIGTERM');
        if (down_ms > 0) await new Promise((r) => setTimeout(r, down_ms));
        await node.start();
      },
    };
    return node;
  });

  return {
    name: clusterName,
    urls: servers.map((s) => s.url),
    url: servers.map((s) => s.url).join(','),
    servers,
    serverByName(name: string) {
      const node = servers.find((s) => s.name === name);
      if (!node) throw new Error(`cluster ${clusterName} has no server named ${JSON.stringify(name)} (servers: ${names.join(', ')})`);
      return node;
    },
    streamLeader(stream: string, { timeoutMs: wait = timeoutMs } = {}) {
      return until(`no running node of ${clusterName} leads stream ${stream}`, wait, async () => {
        for (const node of servers.filter((s) => s.running)) {
          const info = await jsz(node.monitorUrl, '?accounts=true&streams=true');
          const detail = info?.account_details?.flatMap((a) => a.stream_detail ?? []).find((s) => s.name === stream);
          // Followers repeat the last leader they heard of, a dead one too: only the leader's own word counts.
          if (detail?.cluster?.leader === node.name) return node.name;
        }
        return undefined;
      });
    },
    metaLeader,
    authorization,
    env: authorization ? credentialsEnv() : {},
    security,
    connectOptions: (role) => connectionOptions(security(role)),
    async stop() {
      await stopAll();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
