module.exports = { ...require('../../jest.preset.cjs'), displayName: 'nats-auth', rootDir: __dirname, testTimeout: 60000 };
