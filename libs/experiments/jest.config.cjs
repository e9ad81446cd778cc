module.exports = { ...require('../../jest.preset.cjs'), displayName: 'experiments', rootDir: __dirname };
