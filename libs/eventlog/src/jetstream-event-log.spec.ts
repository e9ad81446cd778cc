/** What only the JetStream adapter has: several writers, the server going away, stream set-up. */
import { connect } from 'nats';
import { freePort, startNats, type NatsServer } from '@metatwin/test-support';
import { EventLogError } from './errors';
import { decodeBatch, encodeBatchJson } from './event-log';
import { batch, spans } from './spec-helpers';
import { JetStreamEventLog } from './jetstream-event-log';

describe('JetStreamEventLog against a real nats-server', () => {
  let server: NatsServer;
  let stream = 0;
  // admin: a stream of its own, which the roles' table does not know.
  const open = () => JetStreamEventLog.connect({ servers: server.url, stream: `JS_${stream}`, subjectPrefix: `js${stream}`, security: server.security('admin') });

  beforeAll(async () => {
    server = await startNats();
  });
  afterAll(() => server.stop());
  beforeEach(() => {
    stream++;
  });

  it('publishes each batch to prefix.run.source in a file-backed stream', async () => {
    const log = await open();
    await log.append(batch('r1', 'edges', 1, 2));
    await log.close();
    const nc = await connect({ servers: server.url, ...server.connectOptions('admin') });
    try {
      const jsm = await nc.jetstreamManager();
      const info = await jsm.streams.info(`JS_${stream}`, { subjects_filter: '>' });
      expect(info.config.storage).toBe('file');
      expect(info.config.subjects).toEqual([`js${stream}.>`]);
      expect(info.state.subjects).toEqual({ [`js${stream}.r1.edges`]: 1 });
      const sm = await jsm.streams.getMessage(`JS_${stream}`, { last_by_subj: `js${stream}.r1.edges` });
      expect(sm.header.get('Nats-Msg-Id')).toBe('r1:edges:1');
      expect(decodeBatch(sm.data, 'stored')).toEqual(batch('r1', 'edges', 1, 2));
    } finally {
      await nc.close();
    }
  });

  it('two writers on one (run, source): a stale writer re-sending is a no-op, a stale writer continuing succeeds', async () => {
    const a = await open();
    const b = await open();
    await a.append(batch('r1', 'edges', 1, 10));
    await b.append(batch('r1', 'edges', 11, 10));
    await a.append(batch('r1', 'edges', 11, 10)); // a still believes 10 is last
    await a.append(batch('r1', 'edges', 21, 5));
    await b.append(batch('r1', 'edges', 26, 5)); // b believes 20 is last: the server says otherwise
    await expect(a.append(batch('r1', 'edges', 21, 6))).rejects.toThrow(/overlap/);
    await b.append(batch('r1', 'edges', 31, 1));
    await a.append(batch('r1', 'edges', 32, 1)); // a's cached cursor (25) would call this a gap
    expect(await spans(a, 'r1')).toEqual(['edges:1-10', 'edges:11-20', 'edges:21-25', 'edges:26-30', 'edges:31-31', 'edges:32-32']);
    await Promise.all([a.close(), b.close()]);
  });

  it('keeps what was appended across a server crash and restart', async () => {
    const log = await open();
    await log.append(batch('r1', 'edges', 1, 3));
    await log.close();
    await server.restart({ hard: true });
    const reopened = await open();
    expect(await reopened.lastSequence('r1', 'edges')).toBe(3);
    await reopened.append(batch('r1', 'edges', 4, 1));
    expect(await spans(reopened, 'r1')).toEqual(['edges:1-3', 'edges:4-4']);
    await reopened.close();
  });

  it('reads only what was stored when read was called', async () => {
    const log = await open();
    for (let i = 0; i < 5; i++) await log.append(batch('r1', 'edges', i * 2 + 1, 2));
    const seen: string[] = [];
    let next = 11;
    for await (const b of log.read('r1')) {
      seen.push(`${b.firstSeq}`);
      await log.append(batch('r1', 'edges', next, 1));
      next++;
    }
    expect(seen).toEqual(['1', '3', '5', '7', '9']);
    await log.close();
  });

  it('delivers a batch only for the run and source of its subject: a stored message that is no batch, or claims another run or source, is reported (or delivered when asked for)', async () => {
    const log = await open();
    await log.append(batch('r1', 'edges', 1, 1));
    const nc = await connect({ servers: server.url, ...server.connectOptions('admin') });
    const js = nc.jetstream();
    // On another subject of the run, so that they do not move the edges' append cursor.
    await js.publish(`js${stream}.r1.clamp`, new TextEncoder().encode('{"runId": no json'));
    await js.publish(`js${stream}.r1.clamp`, new TextEncoder().encode(encodeBatchJson(batch('r9', 'clamp', 1, 1))));
    await js.publish(`js${stream}.r1.clamp`, new TextEncoder().encode(encodeBatchJson(batch('r1', 'edges', 2, 1))));
    await log.append(batch('r1', 'edges', 2, 1));
    await nc.close();
    const firstSeqs = async (options: { withMismatched?: boolean }): Promise<{ got: string[]; refused: string[] }> => {
      const refused: string[] = [];
      const { batches, stop } = await log.follow({ fromStreamSeq: 1, onCorrupt: (err) => refused.push(err.message), ...options });
      const got: string[] = [];
      for await (const b of batches) if (got.push(`${b.runId}.${b.source}:${b.firstSeq}`) + refused.length === 5) break;
      await stop();
      return { got, refused };
    };
    const checked = await firstSeqs({});
    expect(checked.got).toEqual(['r1.edges:1', 'r1.edges:2']);
    expect(checked.refused).toEqual([
      expect.stringMatching(/seq 2/),
      expect.stringMatching(new RegExp(`batch on js${stream}\\.r1\\.clamp claims run "r9" and source "clamp"; a batch speaks only for its subject's`)),
      expect.stringMatching(/claims run "r1" and source "edges"/),
    ]);
    expect((await firstSeqs({ withMismatched: true })).got).toEqual(['r1.edges:1', 'r9.clamp:1', 'r1.edges:2', 'r1.edges:2']);
    // A run's read has no one to report to: it names the first such message.
    await expect(spans(log, 'r1')).rejects.toThrow(/seq 2/);
    await log.close();
  });

  it('seeks by stream sequence: a source’s batch at or after a position, its last batch, a run from a position on', async () => {
    const log = await open();
    await log.append(batch('r1', 'edges', 1, 2)); // stream seq 1
    await log.append(batch('r1', 'clamp', 1, 1)); // 2
    await log.append(batch('r2', 'edges', 1, 1)); // 3: another run
    await log.append(batch('r1', 'edges', 3, 2)); // 4
    await log.append(batch('r1', 'clamp', 2, 1)); // 5
    const at = async (source: string, position: number) => {
      const found = await log.batchAtOrAfter('r1', source, position);
      return found && `${found.position}:${found.batch.source}:${found.batch.firstSeq}`;
    };
    expect([await at('edges', 1), await at('edges', 2), await at('edges', 5), await at('clamp', 3), await at('nobody', 1)]).toEqual([
      '1:edges:1',
      '4:edges:3',
      null,
      '5:clamp:2',
      null,
    ]);
    expect((await log.lastBatch('r1', 'edges'))?.position).toBe(4);
    expect(await log.lastBatch('r1', 'nobody')).toBeNull();
    const from = async (position: number): Promise<string[]> => {
      const seen: string[] = [];
      for await (const b of log.readFrom('r1', position)) seen.push(`${b.source}:${b.firstSeq}`);
      return seen;
    };
    expect(await from(2)).toEqual(['clamp:1', 'edges:3', 'clamp:2']);
    expect(await from(6)).toEqual([]);
    expect(() => log.readFrom('r1', 0)).toThrow(/position must be a stream sequence ≥ 1, got 0/);
    await log.close();
  });

  it('refuses an existing stream that does not hold the prefix', async () => {
    const nc = await connect({ servers: server.url, ...server.connectOptions('admin') });
    await (await nc.jetstreamManager()).streams.add({ name: `JS_${stream}`, subjects: ['other.>'] });
    await nc.close();
    await expect(open()).rejects.toThrow(/exists with subjects \["other\.>"\], not js\d+\.>/);
  });

  it('says where it could not connect', async () => {
    const port = await freePort();
    const attempt = JetStreamEventLog.connect({ servers: `nats://127.0.0.1:${port}` });
    await expect(attempt).rejects.toBeInstanceOf(EventLogError);
    await expect(attempt).rejects.toThrow(`cannot connect to NATS at nats://127.0.0.1:${port}`);
  });
});
