#!/usr/bin/env node
// `npm test`: tools the tests need, a full type-check, every project's jest tests through Nx,
// then one closing line with the totals over all projects.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const tally = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'metatwin-tally-')), 'tally.jsonl');
const env = { ...process.env, METATWIN_TEST_TALLY: tally };

function step(label, cmd, args) {
  process.stdout.write(`\n== ${label}\n`);
  const r = spawnSync(cmd, args, { cwd: root, env, stdio: 'inherit' });
  if (r.error) throw r.error;
  return r.status ?? 1;
}

let status = step('tools', 'bash', ['scripts/ensure-tools.sh']);
if (status === 0) status = step('type-check', process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.json', '--noEmit']);
if (status === 0) {
  const extra = process.argv.slice(2);
  status = step('tests', process.execPath, [require.resolve('nx/bin/nx'), 'run-many', '-t', 'test', '--parallel=1', '--outputStyle=static', ...extra]);
}
const totals = { passed: 0, failed: 0, skipped: 0, suitesFailed: 0 };
if (fs.existsSync(tally)) {
  for (const line of fs.readFileSync(tally, 'utf8').split('\n').filter(Boolean)) {
    const t = JSON.parse(line);
    totals.passed += t.passed;
    totals.failed += t.failed;
    totals.skipped += t.skipped;
    totals.suitesFailed += t.suitesFailed;
  }
}
if (status !== 0 && totals.failed === 0) totals.failed = Math.max(1, totals.suitesFailed);
process.stdout.write(`\ntests: ${totals.passed} passed, ${totals.failed} failed${totals.skipped ? `, ${totals.skipped} skipped` : ''}\n`);
process.exit(status);
