import { CONTRACT_VERSION, type Signal, type Source } from '@metatwin/contracts';
import { JetStreamEventLog } from '@metatwin/eventlog';
import { startNats, type NatsServer } from '@metatwin/test-support';
import { connect } from 'nats';
import { InProcessBus } from './in-process-bus';
import { LogBus } from './log-bus';

const step = (seq: number, runId = 'bus-run'): Signal => ({
  type: 'StepStarted',
  meta: { v: CONTRACT_VERSION, runId, source: 'supervisor', seq, t_ns: seq },
  data: { step: seq, datapoint: 0 },
});

const until = async (done: () => boolean, what: string, timeout_ms = 20_000): Promise<void> => {
  const t0 = Date.now();
  while (!done()) {
    if (Date.now() - t0 > timeout_ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('in-process bus', () => {
  it('delivers in publish order and queues what handlers publish instead of recursing', () => {
    const bus = new InProcessBus();
    const seen: string[] = [];
    bus.subscribe(['supervisor'], (s) => {
      seen.push(`a${s.meta.seq}`);
      if (s.meta.seq === 1) bus.publish(step(3));
    });
    bus.subscribe(['supervisor'], (s) => seen.push(`b${s.meta.seq}`));
    bus.publish(step(1));
    bus.publish(step(2));
    expect(seen).toEqual(['a1', 'b1', 'a3', 'b3', 'a2', 'b2']);
  });
});

describe('log-first bus (real nats-server)', () => {
  let nats: NatsServer;
  beforeAll(async () => {
    nats = await startNats();
  });
  afterAll(async () => {
    await nats.stop();
  });

  // Each bus on its own service's credentials, as in a service process.
  const open = (role: Source): Promise<JetStreamEventLog> =>
    JetStreamEventLog.connect({ servers: nats.url, reconnectForever: true, timeout_ms: 1000, security: nats.security(role) });

  it('delivers only what the log stored, in one source’s order, filtered by run and type', async () => {
    const [pubLog, subLog] = [await open('supervisor'), await open('edge-physics')];
    const pub = new LogBus({ log: pubLog, service: 'supervisor' });
    const sub = new LogBus({ log: subLog, service: 'edge-physics' });
    const got: string[] = [];
    sub.subscribe(['supervisor'], (s) => got.push(`${s.type}:${s.meta.seq}`), ['StepStarted', 'TestStepStarted']);
    await sub.start({ fromStreamSeq: (await subLog.lastStreamSequence()) + 1, runId: 'bus-run' });
    for (let i = 1; i <= 300; i++) {
      pub.publish(i % 2 ? step(i) : { type: 'TestStepStarted', meta: { ...step(i).meta }, data: { step: i } });
      pub.publish({ ...step(i, 'other-run') });
    }
    pub.publish({ type: 'LearningEnabled', meta: { ...step(301).meta }, data: { step: 1, duration_ns: 1 } });
    await pub.settle();
    expect(pub.stored).toBe(601);
    await until(() => got.length >= 300, '300 signals');
    expect(got).toEqual(Array.from({ length: 300 }, (_, k) => `${(k + 1) % 2 ? 'StepStarted' : 'TestStepStarted'}:${k + 1}`));
    // What was delivered is what the log holds, batch by batch, contiguous.
    let next = 1;
    for await (const b of subLog.read('bus-run')) {
      expect(b.firstSeq).toBe(next);
      next = b.lastSeq + 1;
    }
    expect(next).toBe(302);
    await pub.close();
    await sub.close();
    await pubLog.close();
    await subLog.close();
  });

  it('sends records that fail validation to the dead-letter subject with the reason, and delivers the rest', async () => {
    const log = await open('clamping');
    const bus = new LogBus({ log, service: 'clamping' });
    const handled: Signal[] = [];
    bus.subscribe(['supervisor'], (s) => handled.push(s), ['DacWritten']);
    const nc = await connect({ servers: nats.url, ...nats.connectOptions('clamping') });
    const letters: string[] = [];
    nc.subscribe('mt.dead.clamping', { callback: (_e, m) => letters.push(JSON.parse(new TextDecoder().decode(m.data)).reason) });
    await nc.flush();
    await bus.start({ fromStreamSeq: (await log.lastStreamSequence()) + 1, runId: 'x' });
    // A forged batch straight into the stream: a code out of range, an unknown type index, a good write.
    const writer = await open('supervisor');
    await writer.append({
      runId: 'x',
      source: 'supervisor',
      firstSeq: 1,
      lastSeq: 3,
      records: [
        [6, 1, 0, { writes: [{ channel: 2, code: 300 }] }],
        [99, 2, 0, {}],
        [6, 3, 0, { writes: [{ channel: 2, code: 30 }] }],
      ],
    });
    await until(() => letters.length >= 2 && handled.length >= 1, 'two dead letters and one signal');
    expect(letters).toEqual(['record 1: DacWritten: writes[0].code must be an integer in 0..255, got 300', 'record 2: log record has unknown signal type index 99']);
    expect(handled.map((s) => (s.type === 'DacWritten' ? s.data.writes[0].code : -1))).toEqual([30]);
    expect(bus.deadLetters).toBe(2);
    await nc.close();
    await bus.close();
    await log.close();
    await writer.close();
  });

  it.each([
    ['SIGKILL', true],
    ['SIGTERM', false],
  ])(
    'loses nothing and doubles nothing across a NATS outage (%s, 1.5 s down)',
    async (_name, hard) => {
      const [pubLog, subLog] = [await open('supervisor'), await open('edge-physics')];
      const waits: boolean[] = [];
      const pub = new LogBus({ log: pubLog, service: 'supervisor', onAppendStatus: (s) => waits.push(s.waiting) });
      const sub = new LogBus({ log: subLog, service: 'edge-physics' });
      const run = `outage-${hard ? 'kill' : 'term'}`;
      const got: number[] = [];
      sub.subscribe(['supervisor'], (s) => got.push(s.meta.seq));
      await sub.start({ fromStreamSeq: (await subLog.lastStreamSequence()) + 1, runId: run });
      let seq = 0;
      const sendSome = (n: number): void => {
        for (let i = 0; i < n; i++) pub.publish(step(++seq, run));
      };
      sendSome(500);
      await pub.settle();
      const restarted = nats.restart({ hard, down_ms: 1500 });
      // Published while the server is away: held in the outbox, appended once it is back.
      for (let i = 0; i < 10; i++) {
        sendSome(50);
        await new Promise((r) => setTimeout(r, 100));
      }
      await restarted;
      sendSome(500);
      await pub.settle();
      await until(() => got.length >= seq, `all ${seq} signals delivered`, 30_000);
      expect(got).toEqual(Array.from({ length: seq }, (_, k) => k + 1));
      expect(waits).toContain(true);
      expect(waits[waits.length - 1]).toBe(false);
      let next = 1;
      for await (const b of subLog.read(run)) {
        expect(b.firstSeq).toBe(next);
        next = b.lastSeq + 1;
      }
      expect(next).toBe(seq + 1);
      await pub.close();
      await sub.close();
      await pubLog.close();
      await subLog.close();
    },
    60_000,
  );
});
