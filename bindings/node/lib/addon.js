'use strict';
// The native addon, through napi-rs's generated loader (native.js): the prebuilt
// sio.<platform>.node next to it, else the sio-node-<platform> package. When neither loads,
// the error says what to do instead of the loader's generic advice.
const fs = require('node:fs');
const path = require('node:path');

try {
  module.exports = require('../native.js');
} catch (err) {
  const dir = path.resolve(__dirname, '..');
  const built = fs.readdirSync(dir).filter((f) => /^sio\..+\.node$/.test(f));
  const platform = `${process.platform}-${process.arch}`;
  err.message =
    (fs.existsSync(path.join(dir, 'Cargo.toml'))
      ? `sio-node: no native addon loaded for ${platform} in this source checkout (${dir}; found: ${built.join(', ') || 'none'}). ` +
        'Build it there: `npm install && npm run build` (needs Rust/cargo), or install the packed tarball (`npm pack`, see README.md).'
      : `sio-node: no native addon loaded for ${platform} (this package has: ${built.join(', ') || 'none'}). ` +
        'Install a sio-node tarball built for this platform, or build one from the sources (README.md).') +
    `\n${err.message}`;
  throw err;
}
