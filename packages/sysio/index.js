'use strict';
// Loads the compiled addon. See index.d.ts for the API.
module.exports = require('./build/Release/sysio.node');
