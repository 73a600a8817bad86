'use strict';
/**
 * `node -r` preload that ends the process once the process that started it is gone.
 *
 * The suite stops its emulator children explicitly (and SIGKILLs them from an `exit` handler), but a
 * parent killed with SIGKILL runs no handler: this guard makes the orphaned emulator exit within about a
 * second instead of running forever. The parent's pid comes from `KINESIS_TS_PARENT_PID`.
 */
const parentPid = Number(process.env.KINESIS_TS_PARENT_PID);

function parentAlive() {
  try {
    process.kill(parentPid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}

if (Number.isInteger(parentPid) && parentPid > 0) {
  const timer = setInterval(() => {
    if (!parentAlive()) process.exit(0);
  }, 500);
  timer.unref();
}
