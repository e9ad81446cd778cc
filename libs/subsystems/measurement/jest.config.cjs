module.exports = { ...require('../../../jest.preset.cjs'), displayName: 'measurement', rootDir: __dirname };
