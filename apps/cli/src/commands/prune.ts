/**
 * `metatwin prune [--log DIR|nats://…] [--older-than DAYS] [--keep N] [--run ID]… [--dry-run]`:
 * remove ended runs from the event log and its catalogue — those that ended more than DAYS
 * ago, all but the N newest, or the runs named. A run still running is never removed; with
 * --dry-run nothing is, and the list says what would be.
 */
import { parseArgs } from 'node:util';
import { processGone } from '@metatwin/services';
import { UsageError } from '../usage';
import { openEventLog } from './event-log';

const DAY_MS = 86_400_000;

export async function pruneCommand(argv: string[], write: (s: string) => void, now_ms: number = Date.now()): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { log: { type: 'string' }, 'older-than': { type: 'string' }, keep: { type: 'string' }, run: { type: 'string', multiple: true }, 'dry-run': { type: 'boolean' } },
    strict: true,
  });
  const olderThan = values['older-than'] === undefined ? undefined : Number(values['older-than']);
  const keep = values.keep === undefined ? undefined : Number(values.keep);
  if (olderThan !== undefined && !(olderThan >= 0)) throw new UsageError(`--older-than must be a number of days ≥ 0, got "${values['older-than']}"`);
  if (keep !== undefined && !(Number.isInteger(keep) && keep >= 0)) throw new UsageError(`--keep must be a whole number of runs ≥ 0, got "${values.keep}"`);
  const named = values.run ?? [];
  if (olderThan === undefined && keep === undefined && named.length === 0)
    throw new UsageError('prune needs --older-than DAYS, --keep N or --run ID (nothing is removed by default)');
  // Purging a run's subjects is the admin's alone on NATS (libs/nats-auth): the log is the truth.
  const log = await openEventLog(values.log, { role: 'admin' });
  try {
    const [ids, entries] = await Promise.all([log.runIds(), log.entries()]);
    const catalogue = new Map(entries.map((e) => [e.run, e]));
    for (const id of named) if (!ids.includes(id) && !catalogue.has(id)) throw new UsageError(`no run "${id}" in the log (see \`metatwin runs\`)`);
    const live = (id: string): boolean => {
      const e = catalogue.get(id);
      return e !== undefined && e.status === 'running' && !processGone(e);
    };
    // Ended runs, newest first (runs with no entry count as oldest).
    const ended = [...new Set([...ids, ...catalogue.keys()])].filter((id) => !live(id)).sort((a, b) => (catalogue.get(b)?.updated_ms ?? 0) - (catalogue.get(a)?.updated_ms ?? 0));
    const chosen = new Set<string>();
    for (const id of named) {
      if (live(id)) throw new UsageError(`run ${id} is running: cancel it first (metatwin cancel ${id})`);
      chosen.add(id);
    }
    if (olderThan !== undefined) for (const id of ended) if ((catalogue.get(id)?.updated_ms ?? 0) < now_ms - olderThan * DAY_MS) chosen.add(id);
    if (keep !== undefined) for (const id of ended.slice(keep)) chosen.add(id);
    const footprints = await log.footprints([...chosen]);
    for (const id of chosen) {
      const e = catalogue.get(id);
      const size = Object.entries(footprints.get(id) ?? {})
        .map(([k, n]) => `${k} ${n}`)
        .join(', ');
      write(`${values['dry-run'] ? 'would remove' : 'removing'} ${id}  ${e ? `${e.status}, ${e.steps} steps` : 'no catalogue entry'}  (${size || 'nothing stored'})\n`);
      if (!values['dry-run']) await log.deleteRun(id);
    }
    write(`${chosen.size} run(s) ${values['dry-run'] ? 'would be removed' : 'removed'}, ${ended.length - chosen.size} ended run(s) kept\n`);
    return 0;
  } finally {
    await log.close();
  }
}
