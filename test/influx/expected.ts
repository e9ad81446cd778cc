/** What InfluxDB must hold for a run: the pure projection of its logged signals, counted per measurement. */
import { SOURCES, fromRecord, type Signal } from '@metatwin/contracts';
import type { EventLog } from '@metatwin/eventlog';
import { RunProjection, type Point } from '@metatwin/projection';

export interface Expected {
  /** Distinct points (measurement, tags, time) per measurement. */
  readonly counts: Record<string, number>;
  /** mse_V2 of each error point by its time (epoch µs). */
  readonly mseByTime_us: Map<number, number>;
}

export async function expectedPoints(log: EventLog, runId: string): Promise<Expected> {
  // Each source in its own logged order (the only order the projection relies on).
  const bySource = new Map<string, Signal[]>(SOURCES.map((s) => [s, []]));
  for await (const batch of log.read(runId)) {
    const list = bySource.get(batch.source);
    if (list) for (const r of batch.records) list.push(fromRecord(r, runId, batch.source as (typeof SOURCES)[number]));
  }
  const created = bySource.get('supervisor')?.[0];
  if (!created || created.type !== 'RunCreated') throw new Error(`run ${runId} has no RunCreated`);
  const projection = new RunProjection(runId, created);
  const points: Point[] = [];
  for (const signals of bySource.values()) for (const s of signals) projection.fold(s, points);
  const keys = new Map<string, Set<string>>();
  const mse = new Map<number, number>();
  for (const p of points) {
    const key = `${JSON.stringify(Object.entries(p.tags).sort())}@${p.time_us}`;
    let set = keys.get(p.measurement);
    if (!set) keys.set(p.measurement, (set = new Set()));
    set.add(key);
    if (p.measurement === 'error') mse.set(p.time_us, p.fields.mse_V2 as number);
  }
  return { counts: Object.fromEntries([...keys].map(([m, set]) => [m, set.size])), mseByTime_us: mse };
}
