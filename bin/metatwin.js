#!/usr/bin/env node
'use strict';
// A command is done when main resolves: exit then, once stdout and stderr are written, rather
// than wait for every timer a client library may still hold (nats.js keeps re-creating a
// consumer while NATS is away, which would keep a command that gave up alive for ever).
const exit = (code) => process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
require('./runtime')('apps/cli/src/main.js')
  .main(process.argv.slice(2))
  .then(exit)
  .catch((err) => {
    process.stderr.write(`metatwin: ${err && err.stack ? err.stack : err}\n`);
    exit(1);
  });
