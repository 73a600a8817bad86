// Preload of `pool-phases.ts` for shard processes (NODE_OPTIONS=--require): records this process's CPU
// (process.cpuUsage, milliseconds) when it starts running preloads (Node booted), when the worker
// registers its IPC listener (its modules are loaded), when it sends its first batch, and at exit, with
// its peak RSS; writes them as JSON to $KINESIS_TS_PHASES_DIR/worker-<pid>.json. With
// $KINESIS_TS_PHASES_PROFILE set it also writes a CPU profile (worker-<pid>.cpuprofile) from the
// preload on. Diagnostic only: it wraps process.on and process.send of this process.
'use strict';
const { writeFileSync } = require('node:fs');
const inspector = require('node:inspector');

const dir = process.env.KINESIS_TS_PHASES_DIR;
const cpuMs = () => {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
};
const marks = { booted: cpuMs() };
let session = null;
if (process.env.KINESIS_TS_PHASES_PROFILE) {
  session = new inspector.Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.start');
}
const on = process.on;
process.on = function (event, ...rest) {
  if (event === 'message' && marks.loaded === undefined) marks.loaded = cpuMs();
  return on.call(this, event, ...rest);
};
const send = process.send;
if (typeof send === 'function') {
  process.send = function (message, ...rest) {
    if (marks.firstBatch === undefined && message?.message?.type === 'batch') marks.firstBatch = cpuMs();
    return send.call(this, message, ...rest);
  };
}
process.on('exit', () => {
  marks.exit = cpuMs();
  marks.peakRssMiB = process.resourceUsage().maxRSS / 1024;
  if (dir === undefined) return;
  writeFileSync(`${dir}/worker-${process.pid}.json`, JSON.stringify(marks));
  // An in-process session answers synchronously: the profile is written before the process ends.
  session?.post('Profiler.stop', (error, result) => {
    if (error === null)
      writeFileSync(`${dir}/worker-${process.pid}.cpuprofile`, JSON.stringify(result.profile));
  });
});
