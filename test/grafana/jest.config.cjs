module.exports = { ...require('../../jest.preset.cjs'), displayName: 'grafana-e2e', rootDir: __dirname, testTimeout: 180000, maxWorkers: 1 };
