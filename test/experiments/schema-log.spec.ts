/**
 * Every signal of a real run, recorded by the CLI in a separate process and read back through
 * the event log (packed), matches the published schema (docs/signals.schema.json) in wire and
 * stored form.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkLogBatches, formatFailures, signalValidators, type LogBatchLine, type LogCheck } from '@metatwin/contracts/testing';
import { FileEventLog, readEveryBatch } from '@metatwin/eventlog';
import { REPO_ROOT as root } from '@metatwin/test-support';

const validators = signalValidators(JSON.parse(readFileSync(join(root, 'docs', 'signals.schema.json'), 'utf8')) as Record<string, unknown>);

/** Spawns the CLI: `metatwin run xor --steps 2000 --no-report` with its event log in a fresh directory. */
function recordRun(out: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(root, 'bin', 'metatwin.js'), 'run', 'xor', '--steps', '2000', '--no-report', '--out', out], {
      cwd: root,
      env: { ...process.env, METATWIN_LOG_DIR: join(out, 'log') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (b: Buffer) => (output += b.toString()));
    child.stderr.on('data', (b: Buffer) => (output += b.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`metatwin run xor exited ${code ?? signal}; no run to validate:\n${output.slice(-4000)}`));
    });
  });
}

/** Every stored batch of a file event log, as the log reads it back (packed), in file order. */
async function readLogBatches(directory: string): Promise<LogBatchLine[]> {
  const log = await FileEventLog.open(directory);
  try {
    return (await readEveryBatch(log)).map(({ run, index, batch }) => ({ file: join(directory, run), line: index, batch }));
  } finally {
    await log.close();
  }
}

describe('a real run against the published schema', () => {
  // Made in beforeAll, not here: a filtered run (-t) collects this block but skips its hooks.
  let out: string | undefined;
  let check: LogCheck | undefined;
  let failure: Error | undefined;

  beforeAll(async () => {
    out = mkdtempSync(join(tmpdir(), 'metatwin-schema-'));
    try {
      await recordRun(out);
      check = checkLogBatches(await readLogBatches(join(out, 'log')), validators);
    } catch (err) {
      failure = err as Error;
    }
  }, 300000);
  afterAll(() => {
    if (out) rmSync(out, { recursive: true, force: true });
  });

  const result = (): LogCheck => {
    if (failure) throw failure;
    return check as LogCheck;
  };

  it('records one run that holds the signals of training and test steps', () => {
    const c = result();
    expect(c.runIds).toHaveLength(1);
    for (const type of [
      'RunCreated',
      'PatchMapSet',
      'StepStarted',
      'DacWritten',
      'LearningEnabled',
      'FreeOutputMeasured',
      'ClampOutputSet',
      'GatesEvolved',
      'StateSnapshot',
      'TestStepStarted',
      'NodesSettled',
      'AdcSampled',
      'RunFinished',
    ] as const) {
      expect(c.byType[type] ?? 0).toBeGreaterThan(0);
    }
  });

  it('matches the schema: every stored batch ($defs/LogBatch) and every signal in wire form', () => {
    const c = result();
    if (c.failureCount > 0)
      throw new Error(
        `${c.failureCount} failures (a stored batch or a signal in wire form) in ${c.batches} batches, ${c.signals} signals, against docs/signals.schema.json; the first:\n${formatFailures(c)}`,
      );
    expect(c.signals).toBeGreaterThan(10000);
  });
});
