/**
 * Forged signals into a live distributed run (issue 14), refused at the receiving edge.
 *
 * The production-like server (every role's permissions) and the four services, first without
 * signatures, then signing what they send and verifying what they receive. A forger holding each service's credentials —
 * what a compromised service has — publishes, while a run goes on, the forged signals of
 * issue 14 with headers claiming that run, on the subjects its credentials allow: its own
 * source's subject of another run. (Its own subject of the target run it could also write,
 * and so disturb its own service's appends: credentials are the limit there, not this check.)
 * Every forged batch is dead-lettered by the services that follow its source, naming the
 * mismatch, and the run completes bit for bit as its reference run without the forger.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SIGNAL_TYPES, SOURCES, SUBJECTS, type DeadLetter, type SignalType, type Source } from '@metatwin/contracts';
import { JetStreamEventLog } from '@metatwin/eventlog';
import type { RunResult } from '@metatwin/experiments';
import { killClis, startCli, startNats, startServices, stopServices, type NatsServer, type ServiceProcess } from '@metatwin/test-support';
import { connect, nkeys, type NatsConnection } from 'nats';
import { forgeries } from './forgeries';

const STEPS = 1500;
/** Between rounds of forgeries (each round: 12 forged batches, one per credential and claim). */
const ROUND_MS = 25;
const type = (t: SignalType): number => SIGNAL_TYPES.indexOf(t);
const text = (b: Uint8Array): string => new TextDecoder().decode(b);

/** Every service's signing key pair, and the environment that gives each its seed and everyone's public keys. */
const pairs = Object.fromEntries(SOURCES.map((s) => [s, nkeys.createUser()])) as Record<Source, ReturnType<typeof nkeys.createUser>>;
const signingKeys = SOURCES.map((x) => `${x}=${pairs[x].getPublicKey()}`).join(',');
const signingEnv = Object.fromEntries(
  SOURCES.map((s): [Source, Record<string, string>] => [s, { METATWIN_SIGNING_SEED: text(pairs[s].getSeed()), METATWIN_SIGNING_KEYS: signingKeys }]),
) as Record<Source, Record<string, string>>;

// Signatures off, the subject's run and source alone refuse these; on, they are checked first all the same.
describe.each<[string, Record<Source, Record<string, string>> | undefined]>([
  ['without signatures', undefined],
  ['with signatures', signingEnv],
])('forged signals into a live distributed run, services %s (real nats-server, roles)', (configuration, extra) => {
  let nats: NatsServer;
  let services: ServiceProcess[] = [];
  const forgers = new Map<Source, NatsConnection>();
  let watcher: NatsConnection;
  const letters: DeadLetter[] = [];

  beforeAll(async () => {
    nats = await startNats();
    services = await startServices({ natsUrl: nats.url, natsEnv: nats.env, ...(extra ? { extra } : {}) });
    for (const s of SOURCES) forgers.set(s, await connect({ servers: nats.url, ...nats.connectOptions(s) }));
    watcher = await connect({ servers: nats.url, ...nats.connectOptions('observer') });
    watcher.subscribe(SUBJECTS.allDeadLetters, { callback: (_e, m) => letters.push(JSON.parse(text(m.data)) as DeadLetter) });
    await watcher.flush();
  });
  afterAll(async () => {
    killClis();
    for (const nc of forgers.values()) await nc.close();
    await watcher?.close();
    await stopServices(services);
    await nats?.stop();
  });

  const run = async (during?: (runId: () => string) => Promise<void>): Promise<RunResult & { run: string }> => {
    const dir = mkdtempSync(join(tmpdir(), 'mt-prov-'));
    const cli = startCli(['run', 'xor', '--steps', String(STEPS), '--bus', nats.url, '--out', dir, '--no-report'], nats.env);
    let stop = false;
    const forging = during ? (async () => during(() => (stop ? '' : 'go')))() : Promise.resolve();
    const r = await cli.within(240_000);
    stop = true;
    await forging;
    if (r.code !== 0) throw new Error(`metatwin run exited ${String(r.code)}:\n${r.out}`);
    return JSON.parse(readFileSync(join(dir, 'result.json'), 'utf8')) as RunResult & { run: string };
  };

  it('refuses every forgery with a dead letter naming it, and the run completes identical to its reference', async () => {
    const reference = await run();
    const observer = await JetStreamEventLog.connect({ servers: nats.url, reconnectForever: true, security: nats.security('observer') });
    const { batches, stop } = await observer.follow({
      fromStreamSeq: (await observer.lastStreamSequence()) + 1,
      accept: (s) => s.endsWith('.edge-physics') || s.endsWith('.supervisor'),
      // The forgeries themselves (batches claiming the run from a decoy's subject): not progress.
      onCorrupt: () => undefined,
    });
    const progress = { runId: '', step: 0 };
    const reading = (async () => {
      for await (const b of batches) {
        progress.runId ||= b.runId;
        for (const r of b.records as Array<[number, number, number, { step?: number }]>)
          if (r[0] === type('GatesEvolved') && typeof r[3].step === 'number') progress.step = r[3].step;
      }
    })();
    let posted = 0;
    const seq: Record<string, number> = {};
    const forged = await run(async (going) => {
      while (going() && progress.runId === '') await new Promise((r) => setTimeout(r, 5));
      while (going()) {
        const target = progress.runId;
        for (const [credential, nc] of forgers) {
          // Claims of the credential's own source; the measurement's also claim the others.
          for (const [claimed, t, data] of forgeries(progress.step + 1)) {
            if (claimed !== credential && credential !== 'measurement') continue;
            const subject = SUBJECTS.log(`decoy-${credential}`, credential);
            const firstSeq = (seq[subject] = (seq[subject] ?? 1000) + 1);
            const batch = { runId: target, source: claimed, firstSeq, lastSeq: firstSeq, records: [[type(t), firstSeq, 0, data]] };
            await nc.jetstream().publish(subject, new TextEncoder().encode(JSON.stringify(batch)));
            posted++;
          }
        }
        await new Promise((r) => setTimeout(r, ROUND_MS));
      }
    });
    await stop();
    await reading;
    await observer.close();

    // The services' wall time, for the record (a run under a flood of forgeries; the flood's own limits are another test's).
    console.log(
      `provenance e2e: ${posted} forged batches; reference ${reference.wall_s.toFixed(1)} s, forged run ${forged.wall_s.toFixed(1)} s (${STEPS} steps, ${configuration})`,
    );
    expect(forged.run).toBe(progress.runId);
    expect(posted).toBeGreaterThan(100);
    // Bit for bit: every test step's outputs and MSE, the gates, the steps.
    expect(forged.steps).toBe(reference.steps);
    expect(forged.final.gates_V).toEqual(reference.final.gates_V);
    expect(forged.final.outputs).toEqual(reference.final.outputs);
    expect(forged.log.map((e) => [e.step, e.outputs, e.mse, e.gates_V])).toEqual(reference.log.map((e) => [e.step, e.outputs, e.mse, e.gates_V]));

    // Each forged type dead-lettered by a service that follows its subject's source, naming the mismatch.
    const refusedBy = new Map<string, Set<string>>();
    for (const l of letters) {
      if (!l.subject.startsWith('mtlog.decoy-')) continue;
      expect(l.reason).toMatch(new RegExp(`refused: provenance: batch on ${l.subject.replace(/\./g, '\\.')} claims run ${forged.run}, but its subject is run decoy-`));
      const records = (JSON.parse(l.payload) as { records: Array<[number]> }).records;
      const key = SIGNAL_TYPES[records[0][0]];
      refusedBy.set(key, (refusedBy.get(key) ?? new Set()).add(l.service));
    }
    expect(Object.fromEntries([...refusedBy].map(([t, by]) => [t, [...by].sort()]))).toEqual({
      // The supervisor's subjects are followed by the other three; the clamp's by the edge and the supervisor; the edge's by the clamp, the measurement and the supervisor; the measurement's by the supervisor.
      RunAborted: ['clamping', 'edge-physics', 'measurement', 'supervisor'],
      LearningEnabled: ['clamping', 'edge-physics', 'measurement', 'supervisor'],
      DacWritten: ['clamping', 'edge-physics', 'measurement', 'supervisor'],
      ClampOutputSet: ['edge-physics', 'supervisor'],
      ServiceStarted: ['edge-physics', 'supervisor'],
      GatesEvolved: ['clamping', 'measurement', 'supervisor'],
    });
    // Nothing of the run itself was refused: its signed batches all verified.
    expect(letters.filter((l) => l.subject.startsWith(`mtlog.${forged.run}.`) || l.subject.startsWith(`mtlog.${reference.run}.`))).toEqual([]);
  });
});
