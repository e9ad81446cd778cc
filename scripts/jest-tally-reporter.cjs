// Appends each jest run's counts to $METATWIN_TEST_TALLY so scripts/test.js can print one
// closing line for the whole workspace ("N passed, N failed").
const fs = require('node:fs');

class TallyReporter {
  onRunComplete(_contexts, results) {
    const file = process.env.METATWIN_TEST_TALLY;
    if (!file) return;
    const line = JSON.stringify({
      passed: results.numPassedTests,
      failed: results.numFailedTests,
      skipped: results.numPendingTests + results.numTodoTests,
      suitesFailed: results.numFailedTestSuites,
      runtimeErrors: results.numRuntimeErrorTestSuites,
    });
    fs.appendFileSync(file, line + '\n');
  }
}
module.exports = TallyReporter;
