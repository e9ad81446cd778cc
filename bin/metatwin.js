#!/usr/bin/env node
'use strict';
require('./runtime')('apps/cli/src/main.js')
  .main(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code;
  })
  .catch((err) => {
    process.stderr.write(`metatwin: ${err && err.stack ? err.stack : err}\n`);
    process.exitCode = 1;
  });
