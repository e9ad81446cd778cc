// A worker thread of the compiled workspace: the @metatwin/* aliases registered (threads do not
// inherit the parent's), then the module named in workerData.module (a path under dist/).
'use strict';
const { workerData } = require('node:worker_threads');

require('./runtime')(workerData.module);
