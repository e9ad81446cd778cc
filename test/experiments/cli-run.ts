/** Runs the real CLI as a separate process, as a person would. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FamilyResult, RunResult } from '@metatwin/experiments';

const root = join(__dirname, '..', '..');

export interface CliRun<R> {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly outDir: string;
  readonly result: R;
}

export function runCli<R = RunResult | FamilyResult>(args: string[], outDir = mkdtempSync(join(tmpdir(), 'metatwin-run-'))): CliRun<R> {
  const r = spawnSync(process.execPath, [join(root, 'bin', 'metatwin.js'), 'run', ...args, '--out', outDir], {
    cwd: root,
    env: { ...process.env, METATWIN_LOG_DIR: join(outDir, 'log') },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`metatwin run ${args.join(' ')} exited ${r.status}\n${r.stdout}\n${r.stderr}`);
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, outDir, result: JSON.parse(readFileSync(join(outDir, 'result.json'), 'utf8')) as R };
}
