/**
 * Validates a recorded run against the published schema (docs/signals.schema.json):
 *
 *   npx tsx scripts/check-signal-log.ts [--log DIR] [--schema FILE] [runId …]
 *
 * DIR is a file event log (default METATWIN_LOG_DIR or runs/log), read as metatwin reads it
 * (libs/eventlog/src/file-event-log.ts). Every batch is checked against
 * $defs/LogBatch (the stored form) and every record, turned back into its wire form
 * {type, meta, data} (fromRecord, then the JSON encodeSignal sends), against the root.
 * Prints the count per signal type and the first failures; exits 1 on any failure.
 * libs/contracts/src/schema.spec.ts runs the same check on a fresh run.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { FileEventLog, readEveryBatch } from '@metatwin/eventlog';
import { checkLogBatches, formatFailures, signalValidators } from '../libs/contracts/src/testing/schema-validation';

const DEFAULT_SCHEMA_FILE = join(__dirname, '..', 'docs', 'signals.schema.json');

async function main(argv: string[]): Promise<number> {
  let dir = process.env.METATWIN_LOG_DIR ?? join('runs', 'log');
  let schemaFile = DEFAULT_SCHEMA_FILE;
  const runs: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--log') dir = argv[++i];
    else if (argv[i] === '--schema') schemaFile = argv[++i];
    else runs.push(argv[i]);
  }
  const started = process.hrtime.bigint();
  const validators = signalValidators(JSON.parse(readFileSync(schemaFile, 'utf8')) as Record<string, unknown>);
  const log = await FileEventLog.open(resolve(dir));
  const batches = await readEveryBatch(log, runs).finally(() => log.close());
  const check = checkLogBatches(
    batches.map(({ run, index, batch }) => ({ file: join(resolve(dir), run), line: index, batch })),
    validators,
  );
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  process.stdout.write(
    `${check.runIds.join(', ') || '(no runs)'}: ${check.batches} batches, ${check.signals} signals (${Object.entries(check.byType)
      .map(([t, n]) => `${t} ${n}`)
      .join(', ')}) in ${ms.toFixed(0)} ms\n`,
  );
  if (check.failureCount === 0) {
    process.stdout.write('every batch and every signal matches the schema\n');
    return 0;
  }
  process.stdout.write(`${check.failureCount} failures; the first:\n${formatFailures(check)}\n`);
  return 1;
}

if (require.main === module)
  main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (err: unknown) => {
      process.stderr.write(`check-signal-log: ${(err as Error).message}\n`);
      process.exitCode = 1;
    },
  );
