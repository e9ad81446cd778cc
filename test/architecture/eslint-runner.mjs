// Runs ESLint with the root eslint.config.mjs for lint.spec.ts, in a process of its own:
// ESLint loads its flat config with a dynamic import(), which jest's module sandbox refuses
// without --experimental-vm-modules. Reads a job from stdin, writes the results to stdout:
//   in:  { "workspace": boolean, "snippets": [{ "code": string, "filePath": string }] }
//   out: { "workspace": Result[] | null, "snippets": Result[] }
//   Result = { filePath, messages: [{ line, column, ruleId, message, severity, source }] }
// (source: the text of the reported line, for a message that names no import).
// filePath is relative to the repository root, in and out.
import { ESLint } from 'eslint';
import { readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const job = JSON.parse(readFileSync(0, 'utf8'));
const eslint = new ESLint({ cwd: root });

function compact(result, code) {
  const lines = (code ?? (result.messages.length ? readFileSync(result.filePath, 'utf8') : '')).split('\n');
  return {
    filePath: relative(root, result.filePath),
    messages: result.messages.map(({ line, column, ruleId, message, severity }) => ({ line, column, ruleId, message, severity, source: (lines[line - 1] ?? '').trim() })),
  };
}

const workspace = job.workspace ? (await eslint.lintFiles(['.'])).map((r) => compact(r)) : null;
const snippets = [];
for (const { code, filePath } of job.snippets ?? []) {
  const [result] = await eslint.lintText(code, { filePath: join(root, filePath), warnIgnored: true });
  snippets.push(compact(result, code));
}
process.stdout.write(JSON.stringify({ workspace, snippets }));
