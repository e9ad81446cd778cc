import { CONTRACT_VERSION, type Signal } from '@metatwin/contracts';
import { startNats, type NatsServer } from '@metatwin/test-support';
import { connect } from 'nats';
import { InProcessBus } from './in-process-bus';
import { NatsBus } from './nats-bus';

const step = (seq: number, runId = 'bus-run'): Signal => ({
  type: 'StepStarted',
  meta: { v: CONTRACT_VERSION, runId, source: 'supervisor', seq, t_ns: seq },
  data: { step: seq, datapoint: 0 },
});

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

describe('NATS bus (real nats-server)', () => {
  let nats: NatsServer;
  beforeAll(async () => {
    nats = await startNats();
  });
  afterAll(async () => {
    await nats.stop();
  });

  it('keeps one source’s order across signal types and filters by run and type', async () => {
    const pub = await NatsBus.connect({ servers: nats.url, service: 'supervisor' });
    const sub = await NatsBus.connect({ servers: nats.url, service: 'edge-physics', runId: 'bus-run' });
    const got: string[] = [];
    sub.subscribe(['supervisor'], (s) => got.push(`${s.type}:${s.meta.seq}`), ['StepStarted', 'TestStepStarted']);
    await sub.settle();
    for (let i = 1; i <= 300; i++) {
      pub.publish(i % 2 ? step(i) : { type: 'TestStepStarted', meta: { ...step(i).meta }, data: { step: i } });
      pub.publish({ ...step(i, 'other-run') });
    }
    pub.publish({ type: 'LearningEnabled', meta: { ...step(301).meta }, data: { step: 1, duration_ns: 1 } });
    await pub.settle();
    for (let i = 0; i < 100 && got.length < 300; i++) await new Promise((r) => setTimeout(r, 20));
    expect(got).toEqual(Array.from({ length: 300 }, (_, k) => `${(k + 1) % 2 ? 'StepStarted' : 'TestStepStarted'}:${k + 1}`));
    await pub.close();
    await sub.close();
  });

  it('sends malformed messages to the dead-letter subject with the reason', async () => {
    const bus = await NatsBus.connect({ servers: nats.url, service: 'clamping' });
    const handled: Signal[] = [];
    bus.subscribe(['supervisor'], (s) => handled.push(s), ['DacWritten']);
    const nc = await connect({ servers: nats.url });
    const letters: string[] = [];
    nc.subscribe('mt.dead.clamping', { callback: (_e, m) => letters.push(JSON.parse(new TextDecoder().decode(m.data)).reason) });
    await nc.flush();
    await bus.settle();
    const meta = { v: CONTRACT_VERSION, runId: 'x', source: 'supervisor', seq: 1, t_ns: 0 };
    nc.publish('mt.sig.x.supervisor.DacWritten', new TextEncoder().encode(JSON.stringify({ type: 'DacWritten', meta, data: { writes: [{ channel: 2, code: 300 }] } })));
    nc.publish('mt.sig.x.supervisor.DacWritten', new TextEncoder().encode(JSON.stringify({ type: 'StepStarted', meta, data: { step: 0, datapoint: 0 } })));
    nc.publish('mt.sig.x.supervisor.DacWritten', new TextEncoder().encode(JSON.stringify({ type: 'DacWritten', meta, data: { writes: [{ channel: 2, code: 30 }] } })));
    await nc.flush();
    for (let i = 0; i < 100 && letters.length < 2; i++) await new Promise((r) => setTimeout(r, 20));
    expect(letters).toEqual(['DacWritten: writes[0].code must be an integer in 0..255, got 300', 'a StepStarted signal arrived on the DacWritten subject']);
    expect(handled.map((s) => (s.type === 'DacWritten' ? s.data.writes[0].code : -1))).toEqual([30]);
    expect(bus.deadLetters).toBe(2);
    await nc.close();
    await bus.close();
  });
});
