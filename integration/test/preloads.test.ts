import { execFileSync, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isProcessAlive } from '../src/process-check.js';
import { waitFor } from '../src/wait-for.js';

const preload = (name: string): string => fileURLToPath(new URL(`../src/${name}`, import.meta.url));

describe('emulator child-process preloads', () => {
  it('loopback-preload forces wildcard and implicit listen addresses onto 127.0.0.1', () => {
    const script = `
      const net = require('node:net');
      const calls = [(s, cb) => s.listen(0, '0.0.0.0', cb), (s, cb) => s.listen(0, cb), (s, cb) => s.listen({ port: 0, host: '::' }, cb), (s, cb) => s.listen(cb)];
      const out = [];
      (async () => {
        for (const call of calls) {
          const server = net.createServer();
          await new Promise((resolve) => call(server, resolve));
          out.push(server.address().address);
          await new Promise((resolve) => server.close(resolve));
        }
        process.stdout.write(JSON.stringify(out));
      })();`;
    const output = execFileSync(process.execPath, [
      '-r',
      preload('loopback-preload.cjs'),
      '-e',
      script,
    ]).toString();
    expect(JSON.parse(output)).toEqual(['127.0.0.1', '127.0.0.1', '127.0.0.1', '127.0.0.1']);
  });

  it('orphan-guard ends a child whose parent was SIGKILLed', async () => {
    // parent: spawns a never-ending child with the guard, prints its pid, then waits forever.
    const parentScript = `
      const { spawn } = require('node:child_process');
      const child = spawn(process.execPath, ['-r', ${JSON.stringify(preload('orphan-guard.cjs'))}, '-e', 'setInterval(() => {}, 1000)'], {
        env: { ...process.env, KINESIS_TS_PARENT_PID: String(process.pid) }, stdio: 'ignore', detached: true,
      });
      process.stdout.write(String(child.pid) + '\\n');
      setInterval(() => {}, 1000);`;
    const parent = spawn(process.execPath, ['-e', parentScript], { stdio: ['ignore', 'pipe', 'inherit'] });
    let childPid: number | undefined;
    try {
      childPid = await new Promise<number>((resolve, reject) => {
        parent.stdout.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim())));
        parent.once('error', reject);
      });
      expect(isProcessAlive(childPid)).toBe(true);
      parent.kill('SIGKILL');
      const pid = childPid;
      await waitFor(() => !isProcessAlive(pid), { timeoutMs: 5_000, description: `orphan ${pid} exited` });
    } finally {
      parent.kill('SIGKILL');
      if (childPid !== undefined && isProcessAlive(childPid)) process.kill(childPid, 'SIGKILL');
    }
  });
});
