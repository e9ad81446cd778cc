// Runs the compiled workspace (dist/) from plain node: rebuilds when a source file is newer
// than the last build, and resolves the @metatwin/* aliases of tsconfig.base.json to dist.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const Module = require('node:module');
const { execFileSync } = require('node:child_process');

const root = path.resolve(__dirname, '..');
const dist = path.join(root, 'dist');
const stamp = path.join(dist, '.tsbuildinfo');

function newestSource(dir) {
  let newest = 0;
  // A deployed image carries no test/ (and may leave out bench/).
  if (!fs.existsSync(dir)) return newest;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(full));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts')) newest = Math.max(newest, fs.statSync(full).mtimeMs);
  }
  return newest;
}

function ensureBuilt() {
  const built = fs.existsSync(stamp) ? fs.statSync(stamp).mtimeMs : 0;
  const sources = Math.max(...['apps', 'libs', 'bench', 'test'].map((d) => newestSource(path.join(root, d))), fs.statSync(path.join(root, 'tsconfig.base.json')).mtimeMs);
  if (sources <= built) return;
  const tsc = require.resolve('typescript/bin/tsc', { paths: [root] });
  try {
    execFileSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json')], { stdio: ['ignore', 'inherit', 'inherit'] });
  } catch {
    process.stderr.write('metatwin: the TypeScript build failed (see above)\n');
    process.exit(2);
  }
  fs.utimesSync(stamp, new Date(), new Date());
}

function registerAliases() {
  const { compilerOptions } = require(path.join(root, 'tsconfig.base.json'));
  const aliases = new Map();
  for (const [alias, [target]] of Object.entries(compilerOptions.paths)) {
    aliases.set(alias, path.join(dist, target.replace(/\.ts$/, '.js')));
  }
  const original = Module._resolveFilename;
  Module._resolveFilename = function resolveAlias(request, ...rest) {
    const mapped = aliases.get(request);
    return original.call(this, mapped ?? request, ...rest);
  };
}

module.exports = function load(relative) {
  ensureBuilt();
  registerAliases();
  return require(path.join(dist, relative));
};
