module.exports = { ...require('../../jest.preset.cjs'), displayName: 'studies-e2e', rootDir: __dirname, testTimeout: 300000 };
