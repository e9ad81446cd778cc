module.exports = { ...require('../../jest.preset.cjs'), displayName: 'eventlog', rootDir: __dirname, testTimeout: 60000 };
