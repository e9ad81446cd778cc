// System tests of what metatwin refuses (forged signals, credentials, hostile input) against real servers.
module.exports = { ...require('../../jest.preset.cjs'), displayName: 'security-e2e', rootDir: __dirname, testTimeout: 300000, maxWorkers: 1 };
