/** `metatwin prune`: ended runs go by count, age or name (a dry run first), running ones never. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT as root } from '@metatwin/test-support';

function cli(args: string[], env: NodeJS.ProcessEnv): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(root, 'bin', 'metatwin.js'), ...args], { cwd: root, env: { ...process.env, ...env }, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('metatwin prune', () => {
  it('keeps the newest N (dry run first), removes named runs, and needs a selector', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mt-prune-'));
    const env = { METATWIN_LOG_DIR: join(dir, 'log') };
    for (let seed = 1; seed <= 3; seed++) expect(cli(['run', 'xor', '--steps', '300', '--seed', String(seed), '--out', join(dir, `s${seed}`), '--no-report'], env).status).toBe(0);
    const runs = (): string[] => (JSON.parse(cli(['runs', '--json'], env).stdout) as Array<{ run: string }>).map((r) => r.run);
    const all = runs();
    expect(all).toHaveLength(3);

    expect(cli(['prune'], env)).toMatchObject({ status: 2, stderr: expect.stringMatching(/prune needs --older-than DAYS, --keep N or --run ID/) });
    const dry = cli(['prune', '--keep', '1', '--dry-run'], env);
    expect(dry.stdout).toMatch(/2 run\(s\) would be removed, 1 ended run\(s\) kept/);
    expect(runs()).toEqual(all);
    expect(cli(['prune', '--older-than', '1'], env).stdout).toMatch(/0 run\(s\) removed/);
    const kept = cli(['prune', '--keep', '2'], env);
    expect(kept.stdout).toMatch(/1 run\(s\) removed, 2 ended run\(s\) kept/);
    expect(runs()).toHaveLength(2);
    const [one] = runs();
    expect(cli(['prune', '--run', one], env).status).toBe(0);
    expect(runs()).toHaveLength(1);
    expect(cli(['prune', '--run', 'no-such-run'], env)).toMatchObject({ status: 2, stderr: expect.stringMatching(/no run "no-such-run" in the log/) });
  });
});
