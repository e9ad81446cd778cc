/**
 * NATS subjects, in one place. Live signals, dead letters and request/reply live under
 * `mt.`; the JetStream event log under `mtlog.` — disjoint, because a stream whose subjects
 * overlap request/reply subjects swallows the requests.
 */
import type { Source } from './signals';

export const SUBJECTS = {
  /** Live signals of one run from one source: each consumer subscribes to the sources it listens to. */
  signals: (runId: string, source: Source): string => `mt.sig.${runId}.${source}`,
  /** Every run's signals from one source (services serve all runs). */
  signalsFromSource: (source: Source): string => `mt.sig.*.${source}`,
  /** Rejected messages with the reason, per receiving service. */
  deadLetter: (service: Source): string => `mt.dead.${service}`,
  allDeadLetters: 'mt.dead.>',
  /** Request/reply: service health and readiness. */
  health: (service: Source): string => `mt.rpc.${service}.health`,
  /** The event log stream's subjects. */
  logPrefix: 'mtlog',
} as const;

export interface DeadLetter {
  readonly service: Source;
  readonly subject: string;
  readonly reason: string;
  /** The rejected payload as text (cut to 2 kB). */
  readonly payload: string;
}
