module.exports = { ...require('../../jest.preset.cjs'), displayName: 'studies', rootDir: __dirname };
