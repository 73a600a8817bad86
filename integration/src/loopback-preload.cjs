'use strict';
/**
 * `node -r` preload that forces every TCP server of the process onto the loopback interface.
 *
 * kinesis-local (kinesis-mock) hard-codes `0.0.0.0` as its bind address; loaded with
 * `node -r ./loopback-preload.cjs main.js`, its servers listen on 127.0.0.1 only, so a test run never
 * exposes an emulator to the network. Unix-socket and handle/fd listens are left alone.
 */
const net = require('node:net');

const LOOPBACK = '127.0.0.1';
const WILDCARD_HOSTS = new Set([undefined, null, '', '0.0.0.0', '::', '::0']);
const originalListen = net.Server.prototype.listen;

function isPort(value) {
  return typeof value === 'number' || (typeof value === 'string' && /^\d+$/.test(value));
}

net.Server.prototype.listen = function listenOnLoopback(...args) {
  const [first] = args;
  if (args.length === 0 || typeof first === 'function') {
    args.unshift(0, LOOPBACK);
  } else if (isPort(first)) {
    if (typeof args[1] === 'string' || args[1] === null || args[1] === undefined) {
      if (WILDCARD_HOSTS.has(args[1])) args[1] = LOOPBACK;
    } else {
      args.splice(1, 0, LOOPBACK);
    }
  } else if (first !== null && typeof first === 'object' && first.path === undefined && isPortOption(first)) {
    if (WILDCARD_HOSTS.has(first.host)) args[0] = { ...first, host: LOOPBACK };
  }
  return originalListen.apply(this, args);
};

function isPortOption(options) {
  return options.fd === undefined && options.handle === undefined && options._handle === undefined;
}
