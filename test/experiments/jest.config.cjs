module.exports = { ...require('../../jest.preset.cjs'), displayName: 'experiments-e2e', rootDir: __dirname, testTimeout: 300000 };
