#!/usr/bin/env node
'use strict';
// `node bin/serve.js <edge-physics|supervisor|clamping|measurement>`: one subsystem as a service.
const services = ['edge-physics', 'supervisor', 'clamping', 'measurement'];
const name = process.argv[2];
if (!services.includes(name)) {
  process.stderr.write(`usage: serve.js <${services.join('|')}>\n`);
  process.exit(2);
}
require('./runtime')(`apps/${name}/src/main.js`);
