module.exports = { ...require('../../jest.preset.cjs'), displayName: 'influx-e2e', rootDir: __dirname, testTimeout: 240000, maxWorkers: 1 };
