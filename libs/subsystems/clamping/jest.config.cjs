module.exports = { ...require('../../../jest.preset.cjs'), displayName: 'clamping', rootDir: __dirname };
