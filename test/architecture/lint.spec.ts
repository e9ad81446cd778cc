/**
 * The architecture rules of eslint.config.mjs: the workspace lints clean, and the rules bite.
 * Module boundaries by tag are @nx/enforce-module-boundaries depConstraints over the Nx project
 * graph; named exports, testing helpers and decider/port imports are core ESLint rules. ESLint
 * runs in a child process (eslint-runner.mjs): its config loader needs a real dynamic import().
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = join(__dirname, '..', '..');

interface LintMessage {
  line: number;
  column: number;
  ruleId: string | null;
  message: string;
  severity: number;
  source: string;
}
interface LintResult {
  filePath: string;
  messages: LintMessage[];
}
interface Snippet {
  code: string;
  filePath: string;
}

/** What a rule must report: its id and a fragment of its message. */
interface Expected {
  rule: string;
  says: string | RegExp;
}
const boundary = (says: string | RegExp): Expected => ({ rule: '@nx/enforce-module-boundaries', says });
const syntax = (says: string): Expected => ({ rule: 'no-restricted-syntax', says });
const restricted = (says: string): Expected => ({ rule: 'no-restricted-imports', says });
const SUBSYSTEM_ONLY = (scope: string) => `can only depend on libs tagged with "scope:${scope}", "scope:contracts", "scope:physics"`;
const DOMAIN_ONLY = '"type:domain" can only depend on libs tagged with "type:domain", "type:contracts", "type:numeric", "type:util"';

/** A module that imports each specifier and uses what it imported. */
const importing = (...specifiers: string[]) =>
  specifiers.map((s, i) => `import { x${i} } from '${s}';\n`).join('') + `export const used = [${specifiers.map((_, i) => `x${i}`).join(', ')}];\n`;

/** [what, file (under a real project's root; need not exist), code, what must be reported, or null for nothing] */
const CASES: [string, string, string, Expected | null][] = [
  ['a subsystem imports another subsystem', 'libs/subsystems/clamping/src/x.ts', importing('@metatwin/measurement'), boundary(SUBSYSTEM_ONLY('clamping'))],
  // While edge-physics' twin.spec.ts imports clamping, this import closes a cycle, which the
  // rule reports ahead of the tag constraint; either message will do.
  [
    'clamping imports edge-physics',
    'libs/subsystems/clamping/src/x.ts',
    importing('@metatwin/edge-physics'),
    boundary(new RegExp(`${SUBSYSTEM_ONLY('clamping')}|Circular dependency between "clamping" and "edge-physics"`)),
  ],
  ['a subsystem spec imports another subsystem', 'libs/subsystems/measurement/src/x.spec.ts', importing('@metatwin/supervisor'), boundary(SUBSYSTEM_ONLY('measurement'))],
  [
    'numeric code imports contracts',
    'libs/physics/src/x.ts',
    "import type { Signal } from '@metatwin/contracts';\nexport type S = Signal;\n",
    boundary('"type:numeric" can only depend on libs tagged with "type:numeric", "type:util"'),
  ],
  ['numeric code imports a domain lib', 'libs/analysis/src/x.ts', importing('@metatwin/supervisor'), boundary('"type:numeric" can only depend')],
  ['numeric code imports NestJS', 'libs/physics/src/x.ts', importing('@nestjs/common'), boundary('"type:numeric" is not allowed to import "@nestjs/common"')],
  ['a domain lib imports nats', 'libs/subsystems/measurement/src/x.ts', importing('nats'), boundary('"type:domain" is not allowed to import "nats"')],
  [
    'a domain lib requires nats',
    'libs/experiments/src/x.ts',
    "const nats = require('nats');\nexport const c = nats.connect;\n",
    boundary('"type:domain" is not allowed to import "nats"'),
  ],
  ['a domain lib imports influx', 'libs/projection/src/x.ts', importing('influx'), boundary('"type:domain" is not allowed to import "influx"')],
  ['a domain lib imports rxjs', 'libs/experiments/src/x.ts', importing('rxjs'), boundary('"type:domain" is not allowed to import "rxjs"')],
  ['contracts import rxjs/operators', 'libs/contracts/src/x.ts', importing('rxjs/operators'), boundary('"type:contracts" is not allowed to import "rxjs/operators"')],
  ['contracts import numeric code', 'libs/contracts/src/x.ts', importing('@metatwin/physics'), boundary('"type:contracts" can only depend on libs tagged with "type:util"')],
  ['a domain lib imports an adapter', 'libs/experiments/src/x.ts', importing('@metatwin/bus'), boundary(DOMAIN_ONLY)],
  [
    'a lib imports an app by relative path',
    'libs/services/src/x.ts',
    importing('../../../apps/cli/src/main'),
    boundary('Projects cannot be imported by a relative or absolute path'),
  ],
  [
    'a lib reaches into another lib by relative path',
    'libs/report/src/x.ts',
    importing('../../analysis/src/mse'),
    boundary('Projects cannot be imported by a relative or absolute path'),
  ],
  ['production code imports test-support', 'libs/experiments/src/x.ts', importing('@metatwin/test-support'), boundary(DOMAIN_ONLY)],
  ['an adapter lib imports test-support', 'libs/services/src/x.ts', importing('@metatwin/test-support'), boundary('"type:adapter" can only depend on libs tagged with')],
  ['an app imports test-support', 'apps/cli/src/x.ts', importing('@metatwin/test-support'), boundary('"type:app" can only depend on libs tagged with')],
  ['export default', 'libs/analysis/src/x.ts', 'export default 1;\n', syntax('no export default')],
  ['export * from', 'libs/analysis/src/x.ts', "export * from './a';\n", syntax('no export * from')],
  ['export * as', 'test/support/x.ts', "export * as servers from './servers';\n", syntax('no export * from')],
  ['production code imports a testing helper', 'libs/report/src/x.ts', importing('./testing/synthetic-results'), restricted('testing helpers are for spec files only')],
  ['a decider imports its simulated adapter', 'libs/subsystems/clamping/src/decider.ts', importing('./sim/clamp-sim'), restricted('must not import its adapters')],
  ['a port imports its mirror adapter', 'libs/subsystems/measurement/src/port.ts', importing('./mirror'), restricted('must not import its adapters')],
  ['a nested decider imports a sibling sim/', 'libs/subsystems/edge-physics/src/core/decider.ts', importing('../sim/edge-sim'), restricted('must not import its adapters')],
  ['bench imports an app', 'bench/x.ts', importing('../apps/cli/src/main'), restricted('nothing imports an app')],
  // What the rules allow: without these, a rule that reported everything would pass.
  ['a subsystem imports its scope, contracts and physics', 'libs/subsystems/clamping/src/x.ts', importing('@metatwin/physics', '@metatwin/contracts', './clamp-laws'), null],
  ['a spec imports test-support', 'libs/services/src/x.spec.ts', importing('@metatwin/test-support'), null],
  ['a spec imports a testing helper', 'libs/report/src/x.spec.ts', importing('./testing/synthetic-results'), null],
  ['an adapter imports nats and contracts', 'libs/eventlog/src/x.ts', importing('nats', '@metatwin/contracts'), null],
  ['numeric code imports numeric code', 'libs/analysis/src/x.ts', importing('@metatwin/physics'), null],
  ['a decider imports contracts and its own files', 'libs/subsystems/clamping/src/decider.ts', importing('@metatwin/contracts', './clamp-laws'), null],
  ['bench imports libs and test-support', 'bench/x.ts', importing('@metatwin/test-support', '@metatwin/experiments', './experiments.bench'), null],
];

function runEslint(job: { workspace: boolean; snippets: Snippet[] }): { workspace: LintResult[] | null; snippets: LintResult[] } {
  const r = spawnSync(process.execPath, [join(__dirname, 'eslint-runner.mjs')], {
    cwd: root,
    input: JSON.stringify(job),
    env: { ...process.env, NX_DAEMON: 'false' },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.status !== 0) throw new Error(`eslint-runner exited ${r.status}: ${r.stderr}`);
  // Nx writes notices on stdout ahead of the JSON (a skipped rule warns there, for one).
  const json = r.stdout.slice(r.stdout.indexOf('{"workspace"'));
  return JSON.parse(json);
}

/** One line a message: file:line:column rule message, and the reported line when the message names no import. */
const format = (r: LintResult) => r.messages.map((m) => `${r.filePath}:${m.line}:${m.column} ${m.ruleId ?? 'parse error'}: ${m.message.split('\n')[0]}  [${m.source}]`);

let lint: { workspace: LintResult[] | null; snippets: LintResult[] };
beforeAll(() => {
  lint = runEslint({ workspace: true, snippets: CASES.map(([, filePath, code]) => ({ filePath, code })) });
}, 180_000);

describe('eslint.config.mjs on the workspace', () => {
  it('reports no errors', () => {
    const errors = (lint.workspace ?? []).flatMap((r) => format({ ...r, messages: r.messages.filter((m) => m.severity === 2) }));
    expect(errors).toEqual([]);
  });

  it('lints every TypeScript source of apps, libs, test and bench', () => {
    const linted = new Set((lint.workspace ?? []).map((r) => r.filePath));
    for (const dir of ['apps', 'libs', 'test', 'bench']) {
      for (const file of sources(join(root, dir))) expect({ file, linted: linted.has(file) }).toEqual({ file, linted: true });
    }
  });
});

describe('the rules bite', () => {
  const table = CASES.map(([what, filePath, , expected], i) => [what, filePath, expected ? expected.rule : 'nothing reported', i] as const);
  it.each(table)('%s (%s): %s', (_what, _filePath, _rule, i) => {
    const expected = CASES[i][3];
    const reported = lint.snippets[i].messages.map((m) => ({ rule: m.ruleId, message: m.message }));
    if (expected === null) expect(format(lint.snippets[i])).toEqual([]);
    else {
      const message = typeof expected.says === 'string' ? expect.stringContaining(expected.says) : expect.stringMatching(expected.says);
      expect(reported).toContainEqual({ rule: expected.rule, message });
    }
  });
});

const TYPES = ['app', 'domain', 'contracts', 'adapter', 'numeric', 'util', 'testing'].map((t) => `type:${t}`);

describe('project tags', () => {
  // depConstraints key on these tags: a project without them, or with a type the config does
  // not know, would slip through every constraint but "nothing imports an app".
  it.each(projects().map((p) => [p.name, p.tags] as const))('%s carries one scope:* tag and one known type:* tag', (_name, tags) => {
    expect(tags.filter((t) => t.startsWith('scope:'))).toHaveLength(1);
    const types = tags.filter((t) => t.startsWith('type:'));
    expect(types).toHaveLength(1);
    expect(TYPES).toContain(types[0]);
  });
});

function sources(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir)) {
    if (entry === 'node_modules' || entry === 'dist') continue;
    const full = join(dir, entry);
    if (statSync(full).isDirectory()) sources(full, out);
    else if (entry.endsWith('.ts')) out.push(relative(root, full));
  }
  return out;
}

function projects(): { name: string; tags: string[] }[] {
  const found: { name: string; tags: string[] }[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir)) {
      if (entry === 'node_modules' || entry === 'dist' || entry.startsWith('.')) continue;
      const full = join(dir, entry);
      if (!statSync(full).isDirectory()) continue;
      try {
        const p = JSON.parse(readFileSync(join(full, 'project.json'), 'utf8')) as { name: string; tags?: string[] };
        found.push({ name: p.name, tags: p.tags ?? [] });
      } catch {
        /* not a project folder */
      }
      walk(full);
    }
  };
  for (const dir of ['apps', 'libs', 'test']) walk(join(root, dir));
  return found;
}
