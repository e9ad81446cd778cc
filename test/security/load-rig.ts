/**
 * What the load test measures with: every run's GatesEvolved as it reaches the log (wall
 * clock at arrival, per run), per-step latencies and their percentiles, and a flood of invalid
 * batches posted with a service's credentials on subjects the services follow.
 */
import { SIGNAL_TYPES, SUBJECTS } from '@metatwin/contracts';
import { JetStreamEventLog } from '@metatwin/eventlog';
import type { NatsServer } from '@metatwin/test-support';
import { connect } from 'nats';

const GATES_EVOLVED = SIGNAL_TYPES.indexOf('GatesEvolved');

export interface GatesWatch {
  /** Per run: each GatesEvolved step with the time (performance.now(), ms) its batch arrived. */
  readonly runs: ReadonlyMap<string, { steps: number[]; at_ms: number[] }>;
  /** Safe to call again. */
  stop(): Promise<void>;
}

/** Follows the edge physics' subjects of every run from now on, as an observer. */
export async function watchGates(nats: NatsServer): Promise<GatesWatch> {
  const log = await JetStreamEventLog.connect({ servers: nats.url, reconnectForever: true, security: nats.security('observer') });
  const { batches, stop } = await log.follow({ fromStreamSeq: (await log.lastStreamSequence()) + 1, accept: (subject) => subject.endsWith('.edge-physics') });
  const runs = new Map<string, { steps: number[]; at_ms: number[] }>();
  let stopped = false;
  const reading = (async () => {
    for await (const b of batches) {
      const now = performance.now();
      for (const r of b.records as Array<[number, number, number, { step: number; failed?: string }]>) {
        if (r[0] !== GATES_EVOLVED || r[3].failed) continue;
        let run = runs.get(b.runId);
        if (!run) runs.set(b.runId, (run = { steps: [], at_ms: [] }));
        run.steps.push(r[3].step);
        run.at_ms.push(now);
      }
    }
  })();
  return {
    runs,
    async stop() {
      if (stopped) return;
      stopped = true;
      await stop();
      await reading.catch(() => undefined);
      await log.close();
    },
  };
}

/**
 * Per-step latency of one run (ms): the time between the arrivals of successive GatesEvolved.
 * Steps that arrive in one batch share the time since the previous batch evenly (the edge
 * physics appends several steps at once when it runs ahead), so the sum is the run's span.
 */
export function stepLatencies(run: { steps: number[]; at_ms: number[] }): number[] {
  const out: number[] = [];
  let i = 1;
  while (i < run.at_ms.length) {
    let j = i;
    while (j + 1 < run.at_ms.length && run.at_ms[j + 1] === run.at_ms[i]) j++;
    const share = (run.at_ms[i] - run.at_ms[i - 1]) / (j - i + 1);
    for (let k = i; k <= j; k++) out.push(share);
    i = j + 1;
  }
  return out;
}

/** The q-quantile (0–1) by nearest rank. */
export function percentile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

export interface FloodResult {
  readonly sent: number;
  readonly elapsed_ms: number;
  /** Messages per second actually posted (flushed to the server). */
  readonly rate: number;
}

/**
 * `count` invalid batches in `ms`, posted with the measurement service's credentials (what a
 * compromised measurement service holds) on its own log subject under decoy runs, which the
 * supervisor follows: alternately bytes that are not JSON, and well-formed batches claiming
 * `target` (a run on another subject: a provenance mismatch). Core publishes, in slices every
 * 50 ms, each slice flushed: the stream stores them all, and every one is refused downstream.
 */
export async function flood(nats: NatsServer, target: string, count: number, ms: number): Promise<FloodResult> {
  const nc = await connect({ servers: nats.url, ...nats.connectOptions('measurement') });
  const slices = Math.max(1, Math.round(ms / 50));
  const perSlice = Math.ceil(count / slices);
  const garbage = new TextEncoder().encode('{"runId": not json at all');
  const type = SIGNAL_TYPES.indexOf('AdcSampled');
  const t0 = performance.now();
  let sent = 0;
  try {
    for (let s = 0; s < slices && sent < count; s++) {
      for (let k = 0; k < perSlice && sent < count; k++, sent++) {
        const decoy = `flood-${sent % 64}`;
        const seq = 1_000_000 + sent;
        const payload =
          sent % 2 === 0
            ? garbage
            : new TextEncoder().encode(JSON.stringify({ runId: target, source: 'measurement', firstSeq: seq, lastSeq: seq, records: [[type, seq, 0, { step: 0 }]] }));
        nc.publish(SUBJECTS.log(decoy, 'measurement'), payload);
      }
      await nc.flush();
      const wait = t0 + ((s + 1) * ms) / slices - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    await nc.flush();
  } finally {
    await nc.close();
  }
  const elapsed_ms = performance.now() - t0;
  return { sent, elapsed_ms, rate: (sent * 1000) / elapsed_ms };
}
