module.exports = { ...require('../../../jest.preset.cjs'), displayName: 'edge-physics', rootDir: __dirname };
