/** Writing what a run left: result.json (and the report), or aborted.json with what was measured. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ResultFile } from '@metatwin/experiments';
import { writeReport } from '@metatwin/report';
import { RunCancelledError, type RunFailedError } from '@metatwin/services';
import { familySummary, runSummary } from '../summary-text';
import { UsageError } from '../usage';

/** Make the output folder, or say why it cannot be (exit 2), before any run starts. */
export function makeOutDir(dir: string): string {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (err) {
    throw new UsageError(`--out ${dir}: cannot create it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); name a folder you can write`);
  }
  return dir;
}

/** result.json, the summary, and the report unless `noReport`. */
export async function writeResult(result: ResultFile, outDir: string, noReport: boolean, write: (s: string) => void): Promise<void> {
  const resultPath = join(outDir, 'result.json');
  writeFileSync(resultPath, JSON.stringify(result) + '\n');
  write(result.kind === 'run' ? runSummary(result) : familySummary(result));
  write(`\nresult: ${resultPath}\n`);
  if (!noReport) {
    const report = await writeReport(result, outDir);
    write(`report: ${report.html}\n`);
  }
}

/**
 * A run that did not finish: a cancelled one writes result.json with what was done (when a
 * test was read out), any other aborted.json with the tests measured before the failure.
 * Returns the exit code: 130 cancelled (as for Ctrl-C), 1 aborted.
 */
export async function writeUnfinished(err: RunFailedError, runId: string | undefined, outDir: string, noReport: boolean, write: (s: string) => void): Promise<number> {
  if (err instanceof RunCancelledError) {
    if (runId !== undefined && err.assembler.log.length > 0) await writeResult(err.assembler.result(runId, 0), outDir, noReport, write);
    write(`run cancelled: ${err.message}${runId ? `\ncontinue it with: metatwin resume ${runId}` : ''}\n`);
    return 130;
  }
  writeFileSync(join(outDir, 'aborted.json'), JSON.stringify({ status: 'aborted', reason: err.message, log: err.assembler.log }) + '\n');
  write(`run aborted: ${err.message}\npartial log written to ${join(outDir, 'aborted.json')}\n`);
  return 1;
}
