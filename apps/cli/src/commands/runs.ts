import { parseArgs } from 'node:util';
import { fromRecord, unreadableRun } from '@metatwin/contracts';
import type { EventLog, RunEntry } from '@metatwin/eventlog';
import { damage, processGone } from '@metatwin/services';
import { openEventLog } from './event-log';

/** A catalogue entry as listed, and what the log lost since the run ended (a deleted batch, a cut file), when it did. */
type RunRow = Pick<RunEntry, 'run' | 'experiment' | 'mode' | 'status' | 'steps' | 'learningTime_s'> & { readonly damage?: string };

/** A row from the catalogue: no run is read. A dead embedded runner's run is interrupted; a changed footprint, incomplete. */
function rowOf(entry: RunEntry, footprint: Readonly<Record<string, number>> | undefined): RunRow {
  const lost = damage(entry, footprint);
  const status = entry.status === 'running' && processGone(entry) ? 'interrupted' : entry.status === 'aborted' && entry.reason ? `aborted: ${entry.reason}` : entry.status;
  return {
    run: entry.run,
    experiment: entry.experiment,
    mode: entry.mode,
    status: lost ? `incomplete (${status})` : status,
    steps: entry.steps,
    learningTime_s: entry.learningTime_s,
    ...(lost ? { damage: lost } : {}),
  };
}

async function describeRun(log: EventLog, runId: string): Promise<RunRow> {
  let experiment = '?';
  let mode = '?';
  let status = 'running';
  let steps = 0;
  let t_h = 0;
  for await (const batch of log.read(runId, { source: 'supervisor' })) {
    for (const r of batch.records) {
      const s = fromRecord(r, runId, 'supervisor');
      if (s.type === 'RunCreated') {
        if (unreadableRun(s))
          return {
            run: runId,
            experiment: '?',
            mode: '?',
            status: `contract ${String((s.data as { contract?: unknown }).contract ?? 1)} (unreadable)`,
            steps: 0,
            learningTime_s: 0,
          };
        const exp = s.data.experiment;
        experiment = exp.name;
        mode = s.data.mode;
        t_h = exp.schedule.t_h_s;
      } else if (s.type === 'RunFinished') {
        status = 'finished';
        steps = s.data.steps;
      } else if (s.type === 'RunAborted') status = `aborted at step ${s.data.step}`;
      else if (s.type === 'StepStarted' && status === 'running') steps = s.data.step + 1;
    }
  }
  return { run: runId, experiment, mode, status, steps, learningTime_s: steps * t_h };
}

/** `metatwin runs [--log DIR|nats://…] [--json]`: the recorded runs with experiment, status and length. */
export async function runsCommand(argv: string[], write: (s: string) => void): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { log: { type: 'string' }, json: { type: 'boolean' } }, strict: true });
  const log = await openEventLog(values.log);
  try {
    const [ids, entries, footprints] = await Promise.all([log.runIds(), log.entries(), log.footprints()]);
    const catalogue = new Map(entries.map((e) => [e.run, e]));
    const rows: RunRow[] = [];
    // Runs without an entry (recorded before the catalogue, or by a process that died before writing it) are read.
    for (const id of ids) {
      const entry = catalogue.get(id);
      rows.push(entry ? rowOf(entry, footprints.get(id)) : await describeRun(log, id));
    }
    if (values.json) write(JSON.stringify(rows) + '\n');
    else if (rows.length === 0) write('no recorded runs\n');
    else {
      write(`${'run'.padEnd(48)} ${'experiment'.padEnd(24)} ${'mode'.padEnd(12)} ${'status'.padEnd(22)} steps  learning time\n`);
      for (const r of rows) {
        write(`${r.run.padEnd(48)} ${r.experiment.padEnd(24)} ${r.mode.padEnd(12)} ${r.status.padEnd(22)} ${String(r.steps).padStart(6)}  ${r.learningTime_s.toFixed(3)} s\n`);
        if (r.damage) write(`  the log lost records since the run ended: ${r.damage} (metatwin replay ${r.run} --verify names them)\n`);
      }
    }
    return 0;
  } finally {
    await log.close();
  }
}
