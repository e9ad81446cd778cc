module.exports = { ...require('../../jest.preset.cjs'), displayName: 'bridges', rootDir: __dirname };
