import { parseArgs } from 'node:util';
import { fromRecord, unreadableRun } from '@metatwin/contracts';
import type { EventLog } from '@metatwin/eventlog';
import { openEventLog } from './event-log';

interface RunRow {
  readonly run: string;
  readonly experiment: string;
  readonly mode: string;
  readonly status: string;
  readonly steps: number;
  readonly learningTime_s: number;
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
    const rows: RunRow[] = [];
    for (const id of await log.runIds()) rows.push(await describeRun(log, id));
    if (values.json) write(JSON.stringify(rows) + '\n');
    else if (rows.length === 0) write('no recorded runs\n');
    else {
      write(`${'run'.padEnd(48)} ${'experiment'.padEnd(24)} ${'mode'.padEnd(12)} ${'status'.padEnd(22)} steps  learning time\n`);
      for (const r of rows)
        write(`${r.run.padEnd(48)} ${r.experiment.padEnd(24)} ${r.mode.padEnd(12)} ${r.status.padEnd(22)} ${String(r.steps).padStart(6)}  ${r.learningTime_s.toFixed(3)} s\n`);
    }
    return 0;
  } finally {
    await log.close();
  }
}
