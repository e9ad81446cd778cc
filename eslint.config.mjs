// Architecture rules, not a style guide: module boundaries by project tag (through the Nx
// project graph), named exports only, tests apart from production code, deciders and
// ports apart from their adapters. Formatting is Prettier's (.prettierrc), so
// eslint-config-prettier comes last. No type-aware linting: syntax is enough here.
import nxPlugin from '@nx/eslint-plugin';
import { createProjectGraphAsync } from '@nx/devkit';
import prettier from 'eslint-config-prettier';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

// @nx/enforce-module-boundaries reads the cached project graph and quietly skips itself when
// there is none (a fresh clone, CI). Computing it here keeps `eslint .` honest; nx.json turns
// the daemon off, so this runs in-process (about a second) and refreshes the cache.
await createProjectGraphAsync({ exitOnError: false });

const SOURCES = ['apps/**/*.ts', 'libs/**/*.ts', 'test/**/*.ts', 'bench/**/*.ts'];
/** Test code: specs, and testing helpers that a production lib keeps for its own specs. */
const TESTS = ['**/*.spec.ts', 'libs/**/src/testing/**/*.ts'];

const FRAMEWORKS = ['@nestjs/*', 'nats', 'nats/*', 'influx', 'influx/*', 'rxjs', 'rxjs/*', 'serialport', 'serialport/*'];
const SUBSYSTEMS = ['supervisor', 'edge-physics', 'clamping', 'measurement'];

/**
 * Allow-lists of direct dependencies by type. Direct lists (onlyDependOnLibsWithTags) rather
 * than transitive bans (notDependOnLibsWithTags) because the project graph also holds the
 * edges of spec files: a lib whose spec imports test-support would otherwise taint everything
 * that imports the lib. Closed under induction, the direct lists give the transitive rule:
 * numeric and contracts reach no domain, adapter, app or testing code, and so on upwards.
 */
const ALLOWED = {
  'type:app': ['type:domain', 'type:contracts', 'type:adapter', 'type:numeric', 'type:util'],
  'type:adapter': ['type:domain', 'type:contracts', 'type:adapter', 'type:numeric', 'type:util'],
  'type:domain': ['type:domain', 'type:contracts', 'type:numeric', 'type:util'],
  'type:numeric': ['type:numeric', 'type:util'],
  'type:contracts': ['type:util'],
  'type:util': ['type:util'],
};
const BANNED_EXTERNALS = { 'type:domain': FRAMEWORKS, 'type:numeric': FRAMEWORKS, 'type:contracts': FRAMEWORKS };

/**
 * The depConstraints; test code may depend on type:testing projects, and build its fixtures
 * with adapters (a real event log, the embedded runner); production code may do neither.
 */
function depConstraints({ tests }) {
  const withTesting = (tags) => (tests ? [...new Set([...tags, 'type:testing', 'type:adapter'])] : tags);
  return [
    // Nothing depends on an app (the rule's own check covers projectType application too);
    // every project matches this one, so no project is left without a constraint.
    { sourceTag: '*', notDependOnLibsWithTags: ['type:app'] },
    ...Object.entries(ALLOWED).map(([sourceTag, tags]) => ({
      sourceTag,
      onlyDependOnLibsWithTags: withTesting(tags),
      ...(BANNED_EXTERNALS[sourceTag] ? { bannedExternalImports: BANNED_EXTERNALS[sourceTag] } : {}),
    })),
    // A subsystem takes the others through ports, never by import (the apps share the scope
    // tag, hence the pair of tags).
    ...SUBSYSTEMS.map((name) => ({
      allSourceTags: [`scope:${name}`, 'type:domain'],
      onlyDependOnLibsWithTags: tests ? [`scope:${name}`, 'scope:contracts', 'scope:physics', 'type:testing'] : [`scope:${name}`, 'scope:contracts', 'scope:physics'],
    })),
  ];
}

const boundaries = (tests) => ['error', { depConstraints: depConstraints({ tests }) }];

/** Production code never reaches a lib's testing helpers, which are kept for its specs. */
const NO_TESTING_HELPERS = {
  group: ['./testing', './testing/*', '../testing', '../testing/*', '**/testing', '**/testing/*'],
  message: 'testing helpers are for spec files only',
};
/** A subsystem's decider and port know no adapter: sim/ and mirror/ implement the port. */
const NO_ADAPTERS = {
  group: ['./sim', './sim/*', '../sim', '../sim/*', '**/sim', '**/sim/*', './mirror', './mirror/*', '../mirror', '../mirror/*', '**/mirror', '**/mirror/*'],
  message: 'a decider or port must not import its adapters (sim/, mirror/): they depend on it, not the other way round',
};
/** bench/ belongs to no project: it may import anything but an app. */
const NO_APPS = { group: ['**/apps', '**/apps/*'], message: 'nothing imports an app' };

export default defineConfig(
  { ignores: ['dist/', 'node_modules/', 'runs/', '.tmp/', '.nx/', 'out/', 'coverage/', '.scratch/', '**/*.js', '**/*.cjs', '**/*.mjs'] },
  {
    files: SOURCES,
    languageOptions: { parser: tseslint.parser, ecmaVersion: 2022, sourceType: 'module' },
    plugins: { '@nx': nxPlugin },
    rules: { '@nx/enforce-module-boundaries': boundaries(false) },
  },
  { files: TESTS, rules: { '@nx/enforce-module-boundaries': boundaries(true) } },
  {
    files: ['apps/**/*.ts', 'libs/**/*.ts', 'test/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        { selector: 'ExportDefaultDeclaration', message: 'named exports only: no export default' },
        { selector: 'ExportAllDeclaration', message: 'name what a module exports: no export * from' },
      ],
    },
  },
  // no-restricted-imports options do not merge across blocks, so each block lists all it needs.
  { files: ['apps/**/*.ts', 'libs/**/*.ts'], ignores: TESTS, rules: { 'no-restricted-imports': ['error', { patterns: [NO_TESTING_HELPERS] }] } },
  {
    files: ['libs/subsystems/*/src/**/decider.ts', 'libs/subsystems/*/src/**/port.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [NO_TESTING_HELPERS, NO_ADAPTERS] }] },
  },
  { files: ['bench/**/*.ts'], rules: { 'no-restricted-imports': ['error', { patterns: [NO_APPS] }] } },
  prettier,
);
