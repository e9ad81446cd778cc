module.exports = { ...require('../../jest.preset.cjs'), displayName: 'study-runner', rootDir: __dirname };
