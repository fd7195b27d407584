'use strict';
// One dispatcher for every native event, and the keep-alive that decides how long the
// process must live (the native ThreadsafeFunction is weak: it never holds the loop).
const native = require('../native.js');

const servers = new Map();
const clients = new Map();
const managers = new Map();
const acks = new Map();
let nextAck = 1;

let holders = 0;
let timer = null;
function acquire() {
  if (holders++ === 0) timer = setInterval(() => {}, 1 << 30);
}
function release() {
  if (holders > 0 && --holders === 0) {
    clearInterval(timer);
    timer = null;
  }
}

/** Registers a one-shot completion; returns its key. Holds the process until it fires. */
function registerAck(fn) {
  const key = nextAck++;
  if (nextAck > 0x7fffffff) nextAck = 1;
  acks.set(key, fn);
  return key;
}

function dispatch(ev) {
  if (ev.kind === 'ack') {
    const fn = acks.get(ev.key);
    if (fn) {
      acks.delete(ev.key);
      fn(ev);
    }
    return;
  }
  if (ev.kind.startsWith('reconnect')) {
    const m = managers.get(ev.owner);
    if (m) m._onNative(ev);
    return;
  }
  if (ev.kind.startsWith('client_')) {
    const c = clients.get(ev.owner);
    if (c) c._onNative(ev);
    else if (ev.authReply) ev.authReply.send('{}'); // a runtime thread waits for it
    return;
  }
  const s = servers.get(ev.owner);
  if (s) s._onNative(ev);
  else if (ev.matchReply) ev.matchReply.send(false); // a runtime thread waits for it
}

native.init(dispatch);

module.exports = { native, servers, clients, managers, registerAck, acquire, release };
