/**
 * What signatures cost (jest-free): `npx tsx libs/bus/src/signing-bench.ts [nats://…]`.
 *
 * 1. CPU: signing and verifying batches of 1, 2, 8 and 64 training-step records, as
 *    signals per second of one core (a distributed run's hops are batches of one or two
 *    signals; batches grow under load).
 * 2. With a nats-server URL: the log-first bus end to end — N signals published by one bus,
 *    delivered by another — unsigned, then signed and verified; and a hop-by-hop ping-pong
 *    (one signal, awaited, as a run's step is), whose rate is what a distributed run feels.
 */
import { CONTRACT_VERSION, toRecord, type Signal, type Source } from '@metatwin/contracts';
import { JetStreamEventLog } from '@metatwin/eventlog';
import { nkeys } from 'nats';

type KeyPair = ReturnType<typeof nkeys.createUser>;
import { LogBus } from './log-bus';
import { BatchSigner, BatchVerifier } from './signing';

const sources: Source[] = ['supervisor', 'edge-physics', 'clamping', 'measurement'];
const pairs = Object.fromEntries(sources.map((s) => [s, nkeys.createUser()])) as Record<Source, KeyPair>;
const seed = (s: Source): string => new TextDecoder().decode(pairs[s].getSeed());
const publicKeys = Object.fromEntries(sources.map((s) => [s, pairs[s].getPublicKey()])) as Record<Source, string>;

const clamp = (runId: string, seq: number): Signal => ({
  type: 'ClampOutputSet',
  meta: { v: CONTRACT_VERSION, runId, source: 'clamping', seq, t_ns: seq * 100_000 },
  data: { step: seq, substep: 0, drives: 'voltage', values: [0.2116, 0.1893] },
});

function cpu(): void {
  const signer = new BatchSigner(seed('clamping'));
  const verifier = new BatchVerifier(publicKeys);
  for (const size of [1, 2, 8, 64]) {
    const batches = Math.max(200, Math.round(40_000 / size));
    const made = Array.from({ length: batches }, (_, b) => {
      const records = Array.from({ length: size }, (_, i) => toRecord(clamp('bench', b * size + i + 1)));
      return { runId: 'bench', source: 'clamping', firstSeq: b * size + 1, lastSeq: b * size + size, records };
    });
    let t0 = performance.now();
    const signed = made.map((b) => ({ ...b, records: signer.sign(b) }));
    const sign_s = (performance.now() - t0) / 1000;
    t0 = performance.now();
    for (const b of signed) if (!verifier.verify('clamping', b).ok) throw new Error('a signed batch did not verify');
    const verify_s = (performance.now() - t0) / 1000;
    const n = batches * size;
    console.log(
      `batches of ${String(size).padStart(2)}: sign ${((sign_s / batches) * 1e6).toFixed(0)} µs/batch (${Math.round(n / sign_s).toLocaleString('en')} signals/s), verify ${((verify_s / batches) * 1e6).toFixed(0)} µs/batch (${Math.round(n / verify_s).toLocaleString('en')} signals/s)`,
    );
  }
}

/** Two log buses on their own connections: clamping publishes (signing when `signed`), edge physics receives (verifying). */
async function busPair(url: string, signed: boolean, prefix: string) {
  const [a, b] = [await JetStreamEventLog.connect({ servers: url }), await JetStreamEventLog.connect({ servers: url })];
  const runId = `${prefix}-${signed ? 's' : 'u'}-${Date.now()}`;
  const pub = new LogBus({ log: a, service: 'clamping', signer: signed ? new BatchSigner(seed('clamping')) : null });
  const sub = new LogBus({ log: b, service: 'edge-physics', verifier: signed ? new BatchVerifier(publicKeys) : null });
  const close = async (): Promise<void> => {
    await Promise.all([pub.close(), sub.close()]);
    await Promise.all([a.close(), b.close()]);
  };
  return { b, runId, pub, sub, close };
}

async function throughput(url: string, signed: boolean, n: number): Promise<number> {
  const { b, runId, pub, sub, close } = await busPair(url, signed, 'bench');
  let got = 0;
  sub.subscribe(['clamping'], () => got++);
  await sub.start({ fromStreamSeq: (await b.lastStreamSequence()) + 1, runId });
  const t0 = performance.now();
  for (let i = 1; i <= n; i++) {
    pub.publish(clamp(runId, i));
    if (i % 500 === 0) await new Promise((r) => setImmediate(r));
  }
  while (got < n) await new Promise((r) => setTimeout(r, 5));
  const rate = n / ((performance.now() - t0) / 1000);
  if (sub.deadLetters > 0) throw new Error(`${sub.deadLetters} dead letters`);
  await close();
  return rate;
}

/** One signal at a time, each awaited by the other side before the next: a run's hop. */
async function hops(url: string, signed: boolean, n: number): Promise<number> {
  const { b, runId, pub, sub, close } = await busPair(url, signed, 'hop');
  let got = 0;
  let wake: () => void = () => undefined;
  sub.subscribe(['clamping'], () => {
    got++;
    wake();
  });
  await sub.start({ fromStreamSeq: (await b.lastStreamSequence()) + 1, runId });
  const t0 = performance.now();
  for (let i = 1; i <= n; i++) {
    const arrived = new Promise<void>((r) => (wake = r));
    pub.publish(clamp(runId, i));
    await arrived;
  }
  const rate = got / ((performance.now() - t0) / 1000);
  await close();
  return rate;
}

async function main(): Promise<void> {
  cpu();
  const url = process.argv[2];
  if (!url) return console.log('(give a nats:// URL for the end-to-end figures)');
  for (const signed of [false, true])
    console.log(`log-first bus, 20,000 signals ${signed ? 'signed + verified' : 'unsigned'}: ${Math.round(await throughput(url, signed, 20_000)).toLocaleString('en')} signals/s`);
  for (const signed of [false, true])
    console.log(`hop by hop, 2,000 signals ${signed ? 'signed + verified' : 'unsigned'}: ${Math.round(await hops(url, signed, 2_000)).toLocaleString('en')} hops/s`);
}

void main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
