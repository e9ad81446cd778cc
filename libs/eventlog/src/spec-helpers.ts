/** Small builders shared by the adapters' own specs (not part of the library's API). */
import type { EventLog, LogBatch } from './event-log';

/** `count` records for (run, source) starting at sequence number `first`. */
export function batch(runId: string, source: string, first: number, count: number): LogBatch {
  return { runId, source, firstSeq: first, lastSeq: first + count - 1, records: Array.from({ length: count }, (_, i) => ({ seq: first + i })) };
}

/** A run's batches as `source:first-last`, in read order. */
export async function spans(log: EventLog, runId: string): Promise<string[]> {
  const out: string[] = [];
  for await (const b of log.read(runId)) out.push(`${b.source}:${b.firstSeq}-${b.lastSeq}`);
  return out;
}
