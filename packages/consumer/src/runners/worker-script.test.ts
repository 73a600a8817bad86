import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveWorkerScript } from './worker-script.js';

describe('resolveWorkerScript', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kinesis-ts-worker-script-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('returns the workerScript option when the file exists', () => {
    const script = join(dir, 'shard-worker.mjs');
    writeFileSync(script, '');
    expect(resolveWorkerScript(script)).toBe(script);
  });

  it('names workerScript and the export to bundle when the option points nowhere', () => {
    const missing = join(dir, 'missing.mjs');
    expect(() => resolveWorkerScript(missing)).toThrow(
      expect.objectContaining({
        code: 'INVALID_ARGUMENT',
        message: expect.stringMatching(/workerScript .*missing\.mjs.*'@kinesis-ts\/consumer\/shard-worker'/),
        context: { workerScript: missing },
      }),
    );
  });

  it('takes the CommonJS entry beside the build, whichever format the build is', () => {
    const build = mkdtempSync(join(dir, 'dist-'));
    writeFileSync(join(build, 'shard-worker-main.mjs'), '');
    writeFileSync(join(build, 'shard-worker-main.cjs'), '');
    expect(resolveWorkerScript(undefined, { directory: build })).toBe(join(build, 'shard-worker-main.cjs'));
    // preferCommonJs: false (an ES module workerClientModule): this build's own format (the sources: ESM).
    expect(resolveWorkerScript(undefined, { directory: build, preferCommonJs: false })).toBe(
      join(build, 'shard-worker-main.mjs'),
    );
  });

  it("falls back to the build's own entry when no CommonJS entry is beside it", () => {
    const build = mkdtempSync(join(dir, 'dist-'));
    writeFileSync(join(build, 'shard-worker-main.mjs'), '');
    expect(resolveWorkerScript(undefined, { directory: build })).toBe(join(build, 'shard-worker-main.mjs'));
  });

  it('without a build beside it (the sources), explains the bundling recipe', () => {
    // The sources are the ES module format: the candidate is shard-worker-main.mjs next to src/.
    expect(() => resolveWorkerScript()).toThrow(
      expect.objectContaining({
        code: 'INVALID_ARGUMENT',
        message: expect.stringMatching(
          /shard-worker-main\.mjs.*'@kinesis-ts\/consumer\/shard-worker'.*workerScript.*#bundling/,
        ),
      }),
    );
  });
});
