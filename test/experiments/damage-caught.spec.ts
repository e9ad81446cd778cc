/**
 * A damaged log is caught: one middle batch removed from a finished embedded run's file makes
 * `replay --verify` fail naming the missing records, and `runs` say the run is incomplete
 * (its footprint in the catalogue no longer matches the file). An embedded run whose process
 * died shows as interrupted, not running for ever.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeBatches } from '@metatwin/eventlog';
import type { RunResult } from '@metatwin/experiments';
import { REPO_ROOT as root } from '@metatwin/test-support';
import { runCli } from './cli-run';

function cli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(root, 'bin', 'metatwin.js'), ...args], { cwd: root, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('damage is caught', () => {
  it('a middle batch removed from a finished run: verify fails naming it, runs says incomplete', () => {
    const run = runCli<RunResult & { run: string }>(['xor', '--steps', '3000', '--no-report']);
    const logDir = join(run.outDir, 'log');
    const before = JSON.parse(cli(['runs', '--log', logDir, '--json']).stdout) as Array<{ run: string; status: string; damage?: string }>;
    expect(before).toEqual([expect.objectContaining({ run: run.result.run, status: 'finished' })]);
    expect(before[0].damage).toBeUndefined();
    expect(cli(['replay', run.result.run, '--verify', '--log', logDir]).status).toBe(0);

    // The run's file is a sequence of frames, [length u32][crc u32][stored batches]: cut out the
    // middle one (the batches of every source that one flush of the run wrote).
    const file = join(logDir, `${run.result.run}.mtlog`);
    const bytes = readFileSync(file);
    const frames: Array<{ start: number; end: number }> = [];
    for (let at = 0; at < bytes.length; at += 8 + bytes.readUInt32LE(at)) frames.push({ start: at, end: at + 8 + bytes.readUInt32LE(at) });
    // Flushes every 1,000 steps: frames of steps 0–999, 1000–1999, 2000–2999 and the end; the
    // second is followed by more of every source's batches, so each one's removal is a gap.
    const middle = frames[Math.floor((frames.length - 1) / 2)];
    const body = new Uint8Array(bytes.buffer, bytes.byteOffset + middle.start + 8, middle.end - middle.start - 8);
    const removed = decodeBatches(body, 'the removed frame').find((b) => b.source === 'edge-physics');
    if (!removed) throw new Error('the middle frame holds no batch of the edge physics');
    writeFileSync(file, new Uint8Array([...bytes.subarray(0, middle.start), ...bytes.subarray(middle.end)]));

    const verify = cli(['replay', run.result.run, '--verify', '--log', logDir]);
    expect(verify.status).toBe(1);
    const problems = JSON.parse(verify.stdout).verify.problems as string[];
    expect(problems).toContain(`${removed.source}: sequence numbers ${removed.firstSeq}..${removed.lastSeq} are missing`);
    expect(problems).toContainEqual(expect.stringMatching(/^GatesEvolved of \d+ step\(s\) missing: /));
    const after = JSON.parse(cli(['runs', '--log', logDir, '--json']).stdout) as Array<{ status: string; damage?: string }>;
    expect(after[0].status).toBe('incomplete (finished)');
    expect(after[0].damage).toMatch(/^bytes \d+ → \d+$/);
    expect(cli(['runs', '--log', logDir]).stdout).toMatch(/incomplete \(finished\)[\s\S]*the log lost records since the run ended/);
  });
});
