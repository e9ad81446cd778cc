module.exports = { ...require('../../jest.preset.cjs'), displayName: 'distributed-e2e', rootDir: __dirname, testTimeout: 180000, maxWorkers: 1 };
