/** The tree is formatted by Prettier (.prettierrc): `npm run format` fixes what this finds. */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');

describe('formatting', () => {
  it('every file Prettier formats is formatted', () => {
    const r = spawnSync(process.execPath, [require.resolve('prettier/bin/prettier.cjs'), '--list-different', '.'], { cwd: root, encoding: 'utf8' });
    expect(r.error).toBeUndefined();
    // Exit 1 with a list means unformatted files; 2 means Prettier itself failed.
    expect({ status: r.status, unformatted: r.stdout.split('\n').filter(Boolean), stderr: r.stderr.trim() }).toEqual({ status: 0, unformatted: [], stderr: '' });
  }, 60_000);
});
