module.exports = { ...require('../../jest.preset.cjs'), displayName: 'emulator', rootDir: __dirname };
