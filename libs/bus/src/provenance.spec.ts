/**
 * The receiving edge of the log-first bus against issue 14's forged signals, on a real
 * nats-server: a forger publishes batches straight into the event log's stream, and the bus
 * refuses each — the whole batch when its provenance fails (its header claims another run or
 * source than its subject, or, with signatures on, it lacks its source's signature), the
 * record when the signal itself is wrong — with a dead letter naming the problem, and
 * delivers none of it, while the run's own signals still arrive.
 */
import { CONTRACT_VERSION, SUBJECTS, encodeFloat64, type Signal, type Source } from '@metatwin/contracts';
import { JetStreamEventLog } from '@metatwin/eventlog';
import { startNats, type NatsServer } from '@metatwin/test-support';
import { connect, nkeys, type NatsConnection } from 'nats';

type KeyPair = ReturnType<typeof nkeys.createUser>;
import { LogBus } from './log-bus';
import { BatchSigner, BatchVerifier, SIGNATURE_KEY, keyFromSeed, signingFromEnv } from './signing';

const until = async (done: () => boolean, what: string, timeout_ms = 20_000): Promise<void> => {
  const t0 = Date.now();
  while (!done()) {
    if (Date.now() - t0 > timeout_ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};
const text = (b: Uint8Array): string => new TextDecoder().decode(b);
const seedOf = (kp: KeyPair): string => text(kp.getSeed());

/** Type indices (SIGNAL_TYPES order). */
const T = { RunAborted: 2, StepStarted: 5, DacWritten: 6, LearningEnabled: 7, ClampOutputSet: 9, GatesEvolved: 10, ServiceStarted: 17 } as const;

describe('receiving edge: forged batches (real nats-server)', () => {
  let nats: NatsServer;
  let forger: NatsConnection;
  beforeAll(async () => {
    // No permissions: whoever connects may publish anything into the log, so the receiver alone must refuse forgeries.
    nats = await startNats({ auth: 'anonymous' });
    forger = await connect({ servers: nats.url });
  });
  afterAll(async () => {
    await forger.close();
    await nats.stop();
  });

  const open = (): Promise<JetStreamEventLog> => JetStreamEventLog.connect({ servers: nats.url, reconnectForever: true, timeout_ms: 1000 });
  /** A batch as a forger writes it, straight into the stream (JSON, the stored form of a small batch). */
  const forge = async (subject: string, batch: { runId: string; source: string; firstSeq: number; records: unknown[] }): Promise<void> => {
    const body = { ...batch, lastSeq: batch.firstSeq + batch.records.length - 1 };
    await forger.jetstream().publish(subject, new TextEncoder().encode(JSON.stringify(body)));
  };

  /** A receiving service's bus (the edge physics) following one run, with its dead letters and deliveries. */
  async function receiver(runId: string, verifier: BatchVerifier | null = null) {
    const log = await open();
    const bus = new LogBus({ log, service: 'edge-physics', verifier });
    const handled: Signal[] = [];
    bus.subscribe(['supervisor', 'clamping', 'measurement', 'edge-physics'], (s) => handled.push(s));
    const nc = await connect({ servers: nats.url });
    const letters: Array<{ subject: string; reason: string }> = [];
    nc.subscribe(SUBJECTS.deadLetter('edge-physics'), { callback: (_e, m) => letters.push(JSON.parse(text(m.data)) as { subject: string; reason: string }) });
    await nc.flush();
    await bus.start({ fromStreamSeq: (await log.lastStreamSequence()) + 1 });
    const close = async (): Promise<void> => {
      await bus.close();
      await log.close();
      await nc.close();
    };
    return { bus, handled, letters, close };
  }

  it('dead-letters each forged case of issue 14 with a reason naming it, delivers none of it, and still delivers the run’s own signals', async () => {
    const run = 'target-run';
    const r = await receiver(run);
    const nanGates = encodeFloat64(Float64Array.of(3.5, Number.NaN, 2));
    // 1. RunAborted for the target run, stored under another run's subject.
    await forge('mtlog.other-run.supervisor', { runId: run, source: 'supervisor', firstSeq: 50, records: [[T.RunAborted, 50, 0, { reason: 'forged', step: 1 }]] });
    // 2. RunAborted claiming the supervisor, on the measurement's subject.
    await forge(`mtlog.${run}.measurement`, { runId: run, source: 'supervisor', firstSeq: 50, records: [[T.RunAborted, 50, 0, { reason: 'forged', step: 1 }]] });
    // 3. RunAborted sent openly by the measurement (its own subject and header).
    await forge(`mtlog.${run}.measurement`, { runId: run, source: 'measurement', firstSeq: 60, records: [[T.RunAborted, 60, 0, { reason: 'forged', step: 1 }]] });
    // 4. LearningEnabled with 10 s pulses, claimed by the supervisor on the clamp's subject; and on a subject of its own.
    await forge(`mtlog.${run}.clamping`, { runId: run, source: 'supervisor', firstSeq: 70, records: [[T.LearningEnabled, 70, 0, { step: 0, duration_ns: 10e9 }]] });
    // 5. DacWritten on a rail channel from the clamp.
    await forge(`mtlog.${run}.clamping`, { runId: run, source: 'clamping', firstSeq: 80, records: [[T.DacWritten, 80, 0, { writes: [{ channel: 2, code: 255 }] }]] });
    // 6. Clamp outputs posed by another source: the measurement's subject claiming the clamp.
    await forge(`mtlog.${run}.measurement`, {
      runId: run,
      source: 'clamping',
      firstSeq: 90,
      records: [[T.ClampOutputSet, 90, 0, { step: 0, substep: 0, drives: 'voltage', values: [0.9, 0.9] }]],
    });
    // 7. ServiceStarted posing as clamping: by header, and by data.service from the measurement.
    await forge(`mtlog.${run}.measurement`, { runId: run, source: 'clamping', firstSeq: 95, records: [[T.ServiceStarted, 95, 0, { service: 'clamping', resumeFrom: 0 }]] });
    await forge(`mtlog.${run}.measurement`, { runId: run, source: 'measurement', firstSeq: 96, records: [[T.ServiceStarted, 96, 0, { service: 'clamping', resumeFrom: 0 }]] });
    // 8. GatesEvolved with NaN gates, on the edge's own subject (what the contract refuses without a signature).
    await forge(`mtlog.${run}.edge-physics`, { runId: run, source: 'edge-physics', firstSeq: 100, records: [[T.GatesEvolved, 100, 0, { step: 0, gates: nanGates }]] });
    // 9. LearningEnabled of 10 s on the supervisor's subject (the contract's bound; the exact t_h is the edge decider's).
    await forge(`mtlog.${run}.supervisor`, { runId: run, source: 'supervisor', firstSeq: 110, records: [[T.LearningEnabled, 110, 0, { step: 0, duration_ns: 10e9 }]] });
    // The run's own signal, afterwards.
    await forge(`mtlog.${run}.supervisor`, { runId: run, source: 'supervisor', firstSeq: 120, records: [[T.StepStarted, 120, 0, { step: 0, datapoint: 1 }]] });

    await until(() => r.letters.length >= 10 && r.handled.length >= 1, 'ten dead letters and the good signal');
    const reasons = r.letters.map((l) => `${l.subject}: ${l.reason}`);
    expect(reasons).toEqual([
      expect.stringMatching(
        /^mtlog\.other-run\.supervisor: batch 50\.\.50 \(1 records\) refused: provenance: batch on mtlog\.other-run\.supervisor claims run target-run, but its subject is run other-run/,
      ),
      expect.stringMatching(/^mtlog\.target-run\.measurement: batch 50\.\.50 .*claims source supervisor, but its subject is measurement's/),
      expect.stringMatching(/^mtlog\.target-run\.measurement: record 60: RunAborted: meta\.source must be supervisor for RunAborted, got "measurement"/),
      expect.stringMatching(/^mtlog\.target-run\.clamping: batch 70\.\.70 .*claims source supervisor, but its subject is clamping's/),
      expect.stringMatching(/^mtlog\.target-run\.clamping: record 80: DacWritten: meta\.source must be supervisor for DacWritten, got "clamping"/),
      expect.stringMatching(/^mtlog\.target-run\.measurement: batch 90\.\.90 .*claims source clamping, but its subject is measurement's/),
      expect.stringMatching(/^mtlog\.target-run\.measurement: batch 95\.\.95 .*claims source clamping, but its subject is measurement's/),
      expect.stringMatching(/^mtlog\.target-run\.measurement: record 96: ServiceStarted: data\.service must be the emitting service \(measurement\)/),
      expect.stringMatching(/^mtlog\.target-run\.edge-physics: record 100: GatesEvolved: gates\[1\] must be a finite number, got NaN/),
      expect.stringMatching(/^mtlog\.target-run\.supervisor: record 110: LearningEnabled: duration_ns must be an integer in 1\.\.1000000000, got 10000000000/),
    ]);
    expect(r.handled.map((s) => `${s.meta.source}:${s.type}:${s.meta.seq}`)).toEqual(['supervisor:StepStarted:120']);
    expect(r.bus.deadLetters).toBe(10);
    await r.close();
  });

  describe('with signatures', () => {
    const keys = { supervisor: nkeys.createUser(), 'edge-physics': nkeys.createUser(), clamping: nkeys.createUser(), measurement: nkeys.createUser() } as const;
    const publicKeys = Object.fromEntries(Object.entries(keys).map(([s, kp]) => [s, kp.getPublicKey()])) as Record<Source, string>;
    const signerOf = (source: Source): BatchSigner => new BatchSigner(seedOf(keys[source]));

    it('makes the signatures nkeys.js makes, from an nkey seed, and names a bad key without echoing it', () => {
      const kp = keys.supervisor;
      expect(keyFromSeed(seedOf(kp)).publicKey).toBe(kp.getPublicKey());
      const records = [[T.StepStarted, 1, 0, { step: 0, datapoint: 1 }]];
      const signed = signerOf('supervisor').sign({ runId: 'r', source: 'supervisor', firstSeq: 1, lastSeq: 1, records }) as Array<[number, number, number, Record<string, string>]>;
      const signature = Buffer.from(signed[0][3][SIGNATURE_KEY], 'base64url');
      const bytes = new TextEncoder().encode(JSON.stringify(['r', 'supervisor', 1, 1, records]));
      expect(nkeys.fromPublic(kp.getPublicKey()).verify(bytes, new Uint8Array(signature))).toBe(true);
      const seed = seedOf(kp);
      const mistyped = seed.slice(0, 10) + (seed[10] === 'A' ? 'B' : 'A') + seed.slice(11);
      expect(() => new BatchSigner(mistyped)).toThrow(/signing seed: checksum does not match/);
      expect(() => new BatchSigner(mistyped)).not.toThrow(new RegExp(seed.slice(4, 20)));
      expect(() => new BatchSigner(kp.getPublicKey())).toThrow(/not an nkey seed/);
      expect(() => signingFromEnv({ METATWIN_SIGNING_KEYS: `supervisor=${publicKeys.supervisor}` })).toThrow(/no key for edge-physics, clamping, measurement/);
      expect(() => signingFromEnv({ METATWIN_SIGNING_KEYS: 'boss=UABC' })).toThrow(/each entry must be <source>=<public key>/);
      expect(signingFromEnv({}).signer).toBeNull();
    });

    it('delivers batches signed by their source and refuses unsigned, mis-signed and altered ones, even on the right subject', async () => {
      const run = 'signed-run';
      const r = await receiver(run, new BatchVerifier(publicKeys));
      const pubLog = await open();
      const supervisor = new LogBus({ log: pubLog, service: 'supervisor', signer: signerOf('supervisor') });
      const meta = (seq: number) => ({ v: CONTRACT_VERSION as typeof CONTRACT_VERSION, runId: run, source: 'supervisor' as const, seq, t_ns: 0 });
      supervisor.publish({ type: 'StepStarted', meta: meta(1), data: { step: 0, datapoint: 1 } });
      supervisor.publish({ type: 'DacWritten', meta: meta(2), data: { writes: [{ channel: 0, code: 9 }] } });
      await supervisor.settle();
      await until(() => r.handled.length >= 2, 'the signed batch');
      // The signature is no part of the signals delivered.
      expect(r.handled.map((s) => s.data)).toEqual([{ step: 0, datapoint: 1 }, { writes: [{ channel: 0, code: 9 }] }]);

      const abort = [T.RunAborted, 3, 0, { reason: 'forged', step: 0 }];
      // Unsigned, on the supervisor's own subject with the supervisor's header.
      await forge(`mtlog.${run}.supervisor`, { runId: run, source: 'supervisor', firstSeq: 3, records: [abort] });
      // Signed with the clamp's key.
      const byClamp = signerOf('clamping').sign({ runId: run, source: 'supervisor', firstSeq: 3, lastSeq: 3, records: [abort] });
      await forge(`mtlog.${run}.supervisor`, { runId: run, source: 'supervisor', firstSeq: 3, records: byClamp });
      // A batch the supervisor signed, altered: the reason changed.
      const signed = signerOf('supervisor').sign({ runId: run, source: 'supervisor', firstSeq: 3, lastSeq: 3, records: [abort] }) as Array<
        [number, number, number, Record<string, unknown>]
      >;
      await forge(`mtlog.${run}.supervisor`, { runId: run, source: 'supervisor', firstSeq: 3, records: [[T.RunAborted, 3, 0, { ...signed[0][3], reason: 'altered' }]] });
      // Replayed into another run: the signature covers the run.
      await forge(`mtlog.other-signed-run.supervisor`, { runId: 'other-signed-run', source: 'supervisor', firstSeq: 3, records: signed });
      await until(() => r.letters.length >= 4, 'four dead letters');
      expect(r.letters.map((l) => l.reason)).toEqual([
        expect.stringMatching(/refused: signature: batch is not signed, and signatures are required/),
        expect.stringMatching(/refused: signature: batch does not verify with supervisor's key/),
        expect.stringMatching(/refused: signature: batch does not verify with supervisor's key/),
        expect.stringMatching(/refused: signature: batch does not verify with supervisor's key/),
      ]);
      expect(r.handled).toHaveLength(2);
      await supervisor.close();
      await pubLog.close();
      await r.close();
    });
  });
});
