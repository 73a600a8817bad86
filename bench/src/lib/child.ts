/**
 * Runs a benchmark side script in a child process and returns the JSON object it prints last.
 */
import { fileURLToPath } from 'node:url';
import { onJsonLines, spawnTsx } from './emulators.js';

export async function runSide<T>(
  script: string,
  args: Record<string, unknown>,
  timeoutMs = 120_000,
): Promise<T> {
  const path = fileURLToPath(new URL(`../${script}`, import.meta.url));
  const child = spawnTsx(path, [JSON.stringify(args)]);
  let last: T | undefined;
  let stderr = '';
  onJsonLines(child, (value) => {
    last = value as T;
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  child.stdin!.end();
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  clearTimeout(timer);
  if (code !== 0 || last === undefined)
    throw new Error(`${script} failed (exit code ${String(code)}): ${stderr.trim()}`);
  return last;
}
