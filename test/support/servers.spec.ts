import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type NatsConnection } from 'nats';
import { ServerStartError, findServerBinary, httpStatus, startInflux, startNats, type InfluxServer, type NatsServer } from './index';

describe('startNats', () => {
  let server: NatsServer;
  let nc: NatsConnection | undefined;

  beforeAll(async () => {
    server = await startNats();
  });
  afterAll(async () => {
    await nc?.close();
    await server?.stop();
  });

  it('answers on a private loopback port with JetStream enabled', async () => {
    expect(server.url).toMatch(/^nats:\/\/127\.0\.0\.1:\d+$/);
    expect(server.port).not.toBe(4222);
    expect(await httpStatus(`${server.monitorUrl}/healthz?js-enabled-only=true`)).toBe(200);
    const jsz = (await (await fetch(`${server.monitorUrl}/jsz`)).json()) as { config?: { store_dir?: string } };
    expect(jsz.config?.store_dir).toContain(server.storeDir);

    nc = await connect({ servers: server.url, ...server.connectOptions('admin') });
    const jsm = await nc.jetstreamManager();
    await jsm.streams.add({ name: 'SUPPORT_CHECK', subjects: ['support.>'] });
    const ack = await nc.jetstream().publish('support.one', new TextEncoder().encode('x'));
    expect(ack.seq).toBe(1);
  });

  it('keeps its streams across a crash and restart on the same port', async () => {
    await nc?.close();
    nc = undefined;
    const port = server.port;
    await server.restart({ hard: true });
    expect(server.port).toBe(port);
    nc = await connect({ servers: server.url, ...server.connectOptions('admin') });
    const info = await (await nc.jetstreamManager()).streams.info('SUPPORT_CHECK');
    expect(info.state.messages).toBe(1);
  });
});

describe('startInflux', () => {
  let server: InfluxServer;

  beforeAll(async () => {
    server = await startInflux();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('answers /ping with 204 and stores and returns a point (admin creates, writer writes, reader reads)', async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(await httpStatus(`${server.url}/ping`)).toBe(204);
    const created = await fetch(`${server.url}/query`, { method: 'POST', headers: server.headers('admin'), body: new URLSearchParams({ q: 'CREATE DATABASE support_check' }) });
    expect(created.status).toBe(200);
    await server.createDatabase('support_check');
    const write = (): Promise<Response> =>
      fetch(`${server.url}/write?db=support_check&precision=s`, { method: 'POST', headers: server.headers('writer'), body: 'probe,edge=3 gate_V=2.5 1700000000' });
    // influxd 1.x may answer 404 "database not found" for a moment after CREATE DATABASE under load.
    let written = await write();
    for (let i = 0; i < 20 && written.status === 404; i++) {
      await new Promise((r) => setTimeout(r, 100));
      written = await write();
    }
    expect(written.status).toBe(204);
    const query = await fetch(`${server.url}/query?${new URLSearchParams({ db: 'support_check', q: 'SELECT gate_V FROM probe', epoch: 's' })}`, {
      headers: server.headers('reader'),
    });
    const body = (await query.json()) as { results: Array<{ series?: Array<{ values: unknown[][] }> }> };
    expect(body.results[0].series?.[0].values).toEqual([[1700000000, 2.5]]);
  });
});

describe('both at once', () => {
  it('start side by side on distinct ports and release them on stop', async () => {
    const [nats, influx] = await Promise.all([startNats(), startInflux()]);
    try {
      expect(new Set([nats.port, influx.port]).size).toBe(2);
    } finally {
      await Promise.all([nats.stop(), influx.stop()]);
    }
    expect(await httpStatus(`${nats.monitorUrl}/varz`)).toBe(0);
    expect(await httpStatus(`${influx.url}/ping`)).toBe(0);
  });
});

describe('failures are loud', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'metatwin-support-spec-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function withBinary<T>(script: string, run: () => Promise<T>): Promise<T> {
    const bin = join(dir, `fake-${Math.random().toString(36).slice(2)}`);
    writeFileSync(bin, `#!/bin/sh\n${script}\n`, { mode: 0o755 });
    process.env.METATWIN_NATS_SERVER_BIN = bin;
    return run().finally(() => delete process.env.METATWIN_NATS_SERVER_BIN);
  }

  it('quotes the log when the server exits during start-up', async () => {
    const start = withBinary('echo "cannot open store: permission denied" >&2; exit 3', () => startNats());
    await expect(start).rejects.toThrow(ServerStartError);
    await expect(start).rejects.toThrow(/nats-server exited during start-up \(code 3\)[^]*cannot open store: permission denied/);
  });

  it('gives up after the timeout, quoting the log, and kills the server', async () => {
    const pidFile = join(dir, 'hung.pid');
    const start = withBinary(`echo $$ > ${pidFile}; echo "waiting for a disk"; exec sleep 30`, () => startNats({ timeoutMs: 500 }));
    await expect(start).rejects.toThrow(/did not answer http:\/\/127\.0\.0\.1:\d+\/healthz\?js-enabled-only=true with 200 within 500 ms[^]*waiting for a disk/);
    const pid = Number(readFileSync(pidFile, 'utf8'));
    expect(() => process.kill(pid, 0)).toThrow();
  });

  it('names the missing binary and the install script', () => {
    process.env.METATWIN_TEST_MISSING_BIN = '/nonexistent/nats-server';
    try {
      expect(() => findServerBinary('nats-server', 'METATWIN_TEST_MISSING_BIN')).toThrow(ServerStartError);
      expect(() => findServerBinary('nats-server', 'METATWIN_TEST_MISSING_BIN')).toThrow(/ensure-tools\.sh/);
    } finally {
      delete process.env.METATWIN_TEST_MISSING_BIN;
    }
  });
});
