module.exports = { ...require('../../jest.preset.cjs'), displayName: 'influx', rootDir: __dirname, testTimeout: 120000, maxWorkers: 1 };
