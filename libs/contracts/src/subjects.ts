/**
 * NATS subjects, in one place. Live signals, dead letters and request/reply live under
 * `mt.`; the JetStream event log under `mtlog.` — disjoint, because a stream whose subjects
 * overlap request/reply subjects swallows the requests.
 */
import type { SignalType, Source } from './signals';

export const SUBJECTS = {
  /**
   * Live signals: one subject per run, source and type, so each service receives only the
   * types it acts on. One publisher connection per source keeps a source's order for every
   * subscriber, across types.
   */
  signal: (runId: string, source: Source, type: SignalType): string => `mt.sig.${runId}.${source}.${type}`,
  /** Subscription: one type from one source, of one run or (runId '*') of every run. */
  signalsOfType: (runId: string, source: Source, type: SignalType): string => `mt.sig.${runId}.${source}.${type}`,
  /** Rejected messages with the reason, per receiving service. */
  deadLetter: (service: Source): string => `mt.dead.${service}`,
  allDeadLetters: 'mt.dead.>',
  /** Request/reply: service health and readiness. */
  health: (service: Source): string => `mt.rpc.${service}.health`,
  /**
   * Where a service's answers go: a request to a service names a reply subject in that
   * service's own namespace, on which only it may publish (libs/nats-auth requestService).
   */
  reply: (service: Source, token: string): string => `mt.reply.${service}.${token}`,
  allReplies: 'mt.reply.>',
  /**
   * Presence heartbeats (not signals, never logged): each service says it is alive every
   * PRESENCE_EVERY_MS, so the supervisor can freeze learning while one is missing.
   */
  presence: (service: Source): string => `mt.presence.${service}`,
  allPresence: 'mt.presence.*',
  /** The event log stream's subjects. */
  logPrefix: 'mtlog',
  /** The event log subject of one (run, source): its batches, and only its batches, are stored here. */
  log: (runId: string, source: Source): string => `mtlog.${runId}.${source}`,
} as const;

/**
 * The run and source an event log subject (`mtlog.<run>.<source>`) names, or null when it is
 * not one. The subject is what NATS permissions can bind to a publisher; a batch's header is
 * whatever its sender wrote, so a receiver trusts the subject and compares the header with it.
 */
export function parseLogSubject(subject: string): { readonly runId: string; readonly source: string } | null {
  const parts = subject.split('.');
  if (parts.length !== 3 || parts[0] !== SUBJECTS.logPrefix || parts[1] === '' || parts[2] === '') return null;
  return { runId: parts[1], source: parts[2] };
}

/** How often a service announces itself, and after how long without a word it counts as missing. */
export const PRESENCE_EVERY_MS = 50;
export const PRESENCE_MISSING_AFTER_MS = 200;

export interface DeadLetter {
  readonly service: Source;
  readonly subject: string;
  readonly reason: string;
  /** The rejected payload as text (cut to 2 kB). */
  readonly payload: string;
}
