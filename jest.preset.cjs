// Shared jest settings for every project: swc for speed (decorators on for NestJS),
// and module names taken from tsconfig.base.json so tests import libs the way code does.
const path = require('node:path');
const { compilerOptions } = require('./tsconfig.base.json');

const moduleNameMapper = {};
for (const [alias, [target]] of Object.entries(compilerOptions.paths)) {
  moduleNameMapper[`^${alias.replace(/[/\\^$+?.()|[\]{}]/g, '\\$&')}$`] = path.join(__dirname, target);
}

module.exports = {
  testEnvironment: 'node',
  moduleFileExtensions: ['ts', 'js', 'json'],
  transform: {
    '^.+\\.[tj]s$': [
      '@swc/jest',
      {
        jsc: {
          target: 'es2022',
          parser: { syntax: 'typescript', decorators: true },
          transform: { legacyDecorator: true, decoratorMetadata: true },
        },
        module: { type: 'commonjs' },
      },
    ],
  },
  moduleNameMapper,
  testMatch: ['**/*.spec.ts'],
  // A NATS client reconnecting to a stopped test server can keep a worker alive after the
  // last test; end the process once results are in rather than hang a CI run.
  forceExit: true,
  reporters: ['default', path.join(__dirname, 'scripts', 'jest-tally-reporter.cjs')],
};
