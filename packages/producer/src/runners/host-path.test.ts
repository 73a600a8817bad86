import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveHostModulePath } from './host-path.js';

describe('resolveHostModulePath', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kinesis-ts-host-path-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('returns the hostModulePath option when the file exists', () => {
    const script = join(dir, 'host.mjs');
    writeFileSync(script, '');
    expect(resolveHostModulePath(script)).toBe(script);
  });

  it('names hostModulePath and the export to bundle when the option points nowhere', () => {
    const missing = join(dir, 'missing.mjs');
    expect(() => resolveHostModulePath(missing)).toThrow(
      expect.objectContaining({
        code: 'INVALID_ARGUMENT',
        message: expect.stringMatching(/hostModulePath .*missing\.mjs.*'@kinesis-ts\/producer\/host'/),
        context: { hostModulePath: missing },
      }),
    );
  });

  it('without a build beside it (the sources), explains the bundling recipe', () => {
    // The sources are the ES module format: the candidate is host-main.mjs next to src/.
    expect(() => resolveHostModulePath()).toThrow(
      expect.objectContaining({
        code: 'INVALID_ARGUMENT',
        message: expect.stringMatching(
          /host-main\.mjs.*'@kinesis-ts\/producer\/host'.*hostModulePath.*#bundling/,
        ),
      }),
    );
  });
});
