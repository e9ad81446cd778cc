import { parseArgs } from 'node:util';
import { ReplayError, replayAt, verifyRun } from '@metatwin/services';
import { UsageError } from '../usage';
import { openEventLog } from './event-log';

/** `metatwin replay <run> [--at SECONDS] [--verify] [--log DIR|nats://…]` */
export async function replayCommand(argv: string[], write: (s: string) => void): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { at: { type: 'string' }, verify: { type: 'boolean' }, log: { type: 'string' } },
    strict: true,
    allowPositionals: true,
  });
  if (positionals.length !== 1) throw new UsageError('replay needs exactly one run id (see `metatwin runs`)');
  const runId = positionals[0];
  const at = values.at === undefined ? undefined : Number(values.at);
  if (at !== undefined && !(at >= 0)) throw new UsageError(`--at must be a time ≥ 0 s, got "${values.at}"`);
  const log = await openEventLog(values.log);
  try {
    if (!(await log.runIds()).includes(runId)) throw new UsageError(`no run "${runId}" in the log (see \`metatwin runs\`)`);
    const state = await replayAt(log, runId, at);
    const out: Record<string, unknown> = { ...state };
    let code = 0;
    if (values.verify) {
      const report = await verifyRun(log, runId);
      out.verify = report;
      code = report.mismatchedSnapshots === 0 && report.complete ? 0 : 1;
    }
    write(JSON.stringify(out) + '\n');
    return code;
  } catch (err) {
    if (err instanceof ReplayError) throw new UsageError(err.message);
    throw err;
  } finally {
    await log.close();
  }
}
