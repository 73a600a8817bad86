#!/usr/bin/env node
/**
 * The `kinesis-ts` executable: wires {@link runCli} to the process (streams, Ctrl-C, exit code).
 * First Ctrl-C: the command stops cleanly (flushes, closes); a second one exits at once.
 */
import { createRequire } from 'node:module';
import { ExitCode } from './cli-error.js';
import { runCli } from './run-cli.js';

// The SDK warns once per process that Node 20 support ends; the CLI supports Node 20 on purpose.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const { version } = createRequire(import.meta.url)('../package.json') as { version: string };
const controller = new AbortController();
let signals = 0;
const onSignal = (signal: NodeJS.Signals): void => {
  signals += 1;
  if (signals > 1) process.exit(ExitCode.INTERRUPTED);
  process.stderr.write(`\n${signal === 'SIGINT' ? 'Ctrl-C' : signal}: stopping (again to exit at once)\n`);
  controller.abort();
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);
// `kinesis-ts tail ... | head`: a closed pipe ends the command quietly.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(ExitCode.OK);
  throw error;
});

const code = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
  cwd: process.cwd(),
  signal: controller.signal,
  version,
});
process.exitCode = code;
