import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const EXAMPLES = fileURLToPath(new URL('../../examples/', import.meta.url));

/** Runs `pnpm demo` as CI would (stdout not a TTY: plain lines), with small settings. */
function runDemo(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'demo/main.ts', ...args], {
      cwd: EXAMPLES,
      stdio: ['ignore', 'pipe', 'pipe'],
      // The demo starts its own emulators: hide the suite's endpoints from it.
      env: Object.fromEntries(
        Object.entries(process.env).filter(([name]) => !name.startsWith('AWS_ENDPOINT_URL')),
      ),
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

it('pnpm demo: produces, kills one of two consumer instances halfway, and consumes every record', async () => {
  const { code, stdout, stderr } = await runDemo([
    '--records',
    '3000',
    '--duration',
    '8',
    '--failover-ms',
    '2000',
  ]);
  if (code !== 0) console.log(stdout, stderr);
  expect(code).toBe(0);
  // Plain lines (not a TTY): no cursor movement.
  expect(stdout).not.toContain('\x1b[');
  expect(stdout).toMatch(/SIGKILL consumer A \(pid \d+\)/);
  expect(stdout).toMatch(/B owns all 4 shards, [\d.]+ s after the SIGKILL/);
  expect(stdout).toMatch(/3,000 of 3,000 records acknowledged/);
  expect(stdout).toMatch(/3,000 unique records consumed/);
  expect(stdout).toContain("A's shard processes all exited with it");
  expect(stdout).toContain('OK: every one of the 3,000 records produced was consumed; nothing lost.');
  expect(stdout).not.toContain('FAILED');
  // The summary names the CLI commands that inspect this run (stream, group, table, endpoints).
  expect(stdout).toMatch(
    /kinesis-ts leases \S+ --group demo-\S+ --table \S+ --region \S+ --endpoint-url http/,
  );
  expect(stdout).toMatch(
    /kinesis-ts rewind \S+ --group demo-\S+ --table \S+ --all --to trim-horizon --dry-run/,
  );
}, 120_000);

it('pnpm demo --help prints the usage and a bad flag exits 2', async () => {
  const help = await runDemo(['--help']);
  expect(help.code).toBe(0);
  expect(help.stdout).toContain('Usage: pnpm demo');
  const bad = await runDemo(['--shards', 'many']);
  expect(bad.code).toBe(2);
  expect(bad.stderr).toContain('--shards needs a number');
}, 60_000);
