module.exports = { ...require('../../jest.preset.cjs'), displayName: 'hil-e2e', rootDir: __dirname, testTimeout: 120000 };
