#!/usr/bin/env node
'use strict';
require('./runtime')(process.env.METATWIN_BENCH_ENTRY || 'bench/main.js')
  .main(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code;
  })
  .catch((err) => {
    process.stderr.write(`bench: ${err && err.stack ? err.stack : err}\n`);
    process.exitCode = 1;
  });
