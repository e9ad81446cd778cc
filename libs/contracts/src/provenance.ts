/**
 * Provenance: where a stored batch of signals came from, as a receiver can tell it.
 *
 * A batch's header (`{runId, source, …}`) and each signal's meta are whatever the sender
 * wrote. What a receiver can rely on is the subject the batch was stored on,
 * `mtlog.<run>.<source>`: one subject per (run, source), the only subject that source
 * appends to, and the one NATS permissions bind to a publisher. So a receiver compares the
 * header with the subject and refuses a batch that claims another run or another source
 * than its subject — a RunAborted stored under another run, a ClampOutputSet on the edge's
 * subject posing as the clamp. Who may send which signal is EMITTER (signals.ts), checked
 * per signal by checkSignal; a signature (libs/bus, signing.ts), when configured, proves the
 * subject's source itself wrote the batch.
 */
import { SOURCES } from './signals';
import { parseLogSubject } from './subjects';

/** What provenance reads of a batch: its header's claims. */
export interface ClaimedOrigin {
  readonly runId: unknown;
  readonly source: unknown;
}

const show = (v: unknown): string => (typeof v === 'string' ? v.slice(0, 40) : typeof v);

/**
 * Why a batch stored on `subject` cannot be from what its header claims, or null when the
 * claims match the subject. The reason names the subject, the claim and the rule.
 */
export function checkBatchProvenance(subject: string, claimed: ClaimedOrigin): string | null {
  const origin = parseLogSubject(subject);
  if (origin === null) return `provenance: ${subject.slice(0, 80)} is not an event log subject (mtlog.<run>.<source>)`;
  if (!(SOURCES as readonly string[]).includes(origin.source)) return `provenance: ${subject} names no metatwin source (${SOURCES.join(', ')})`;
  if (claimed.runId !== origin.runId)
    return `provenance: batch on ${subject} claims run ${show(claimed.runId)}, but its subject is run ${origin.runId} (a batch speaks only for the run it is stored under)`;
  if (claimed.source !== origin.source)
    return `provenance: batch on ${subject} claims source ${show(claimed.source)}, but its subject is ${origin.source}'s (a source appends only to its own subject)`;
  return null;
}
