'use strict';
// The core's logs as `debug` lines, as socket.io logs (`DEBUG=socket.io:* node app.js`):
// `DEBUG=sio:* node app.js`. Each logger of the core is a namespace: sio.server → sio:server,
// sio.engine → sio:engine, sio.client → sio:client, sio.redis → sio:redis, sio → sio. Its
// trace records go to `<namespace>:trace`. Records of every level (a Redis outage is a
// warning) are written only when their namespace is enabled, as socket.io's are.
//
// The native sink exists only while a namespace of ours is enabled (checked at load, and
// again by enableLogs/disableLogs): otherwise the core does not even build its records.
// Records come through the addon's event path, whose ThreadsafeFunction is weak: logging
// never keeps the process alive.
const createDebug = require('debug');
const { native, setLogHandler } = require('./runtime');
const { SioError, call } = require('./errors');

const LOGGERS = ['sio.server', 'sio.engine', 'sio.client', 'sio.redis', 'sio'];
const namespaceOf = (logger) => logger.replace(/\./g, ':');
// The core's levels (sio_core::embed::LogLevel).
const DEBUG = 4;
const TRACE = 5;

/** The most verbose level some enabled namespace wants: 0 (none), DEBUG or TRACE. */
function wanted() {
  let level = 0;
  for (const logger of LOGGERS) {
    const ns = namespaceOf(logger);
    if (createDebug.enabled(`${ns}:trace`)) return TRACE;
    if (createDebug.enabled(ns)) level = DEBUG;
  }
  return level;
}

// The debug instance of each namespace, made on first use.
const writers = new Map();
function writer(ns) {
  let w = writers.get(ns);
  if (w === undefined) {
    w = createDebug(ns);
    writers.set(ns, w);
  }
  return w;
}

function write(ev) {
  const ns = namespaceOf(ev.name) + (ev.level === 'trace' ? ':trace' : '');
  const w = writer(ns);
  if (!w.enabled) return;
  // debug has no levels: the severe ones say theirs.
  const prefix = ev.level === 'debug' || ev.level === 'trace' ? '' : `${ev.level.toUpperCase()} `;
  w('%s', prefix + ev.message);
}

let installed = 0;
/** Installs, changes or removes the native sink to match what `debug` enables now. */
function sync() {
  const level = wanted();
  if (level === installed) return;
  call(() => native.setLogLevel(level === 0 ? null : level));
  installed = level;
}

// `debug`'s enabled list, rewritten (debug.disable() returns it; enable() replaces it).
function rewrite(transform) {
  const current = createDebug.disable().split(',').filter(Boolean);
  createDebug.enable(transform(current).join(','));
}
const ours = (template) => /^-?sio(:|\*|$)/.test(template);

/**
 * Enables `namespaces` (default `sio:*`) in `debug`, in addition to those enabled already,
 * and starts the core's records accordingly: the programmatic `DEBUG=sio:*`.
 */
function enableLogs(namespaces = 'sio:*') {
  if (typeof namespaces !== 'string') throw new SioError('ERR_SIO_INVALID_ARGUMENT', 'enableLogs takes debug namespaces, e.g. "sio:*"');
  const added = namespaces.split(/[\s,]+/).filter(Boolean);
  rewrite((current) => [...current.filter((t) => !(t.startsWith('-') && ours(t))), ...added]);
  sync();
}

/** Disables every sio namespace in `debug` and removes the native sink. */
function disableLogs() {
  rewrite((current) => [...current.filter((t) => !ours(t)), '-sio', '-sio:*']);
  sync();
}

setLogHandler(write);
try {
  sync();
} catch (e) {
  // The process has another `tracing` subscriber (not one of Node's): no sio logs.
  process.emitWarning(`sio: logs unavailable: ${e.message}`);
}

module.exports = { enableLogs, disableLogs };
