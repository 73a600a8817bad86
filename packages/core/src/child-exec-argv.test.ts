import { describe, expect, it } from 'vitest';
import { childExecArgv } from './child-exec-argv.js';

describe('childExecArgv', () => {
  it('keeps the warning options and drops every other option', () => {
    expect(
      childExecArgv({
        execArgv: [
          '--inspect=9229',
          '--no-warnings',
          '--import',
          'tsx',
          '--disable-warning=DEP0040',
          '--disable-warning',
          'ExperimentalWarning',
          '--redirect-warnings',
          '/tmp/w.log',
          '--trace-warnings',
          '--max-old-space-size=512',
        ],
      }),
    ).toEqual([
      '--no-warnings',
      '--disable-warning=DEP0040',
      '--disable-warning=ExperimentalWarning',
      '--redirect-warnings=/tmp/w.log',
      '--trace-warnings',
    ]);
  });

  it('turns deprecation settings made at run time into options, once', () => {
    expect(
      childExecArgv({ execArgv: ['--no-deprecation'], noDeprecation: true, traceDeprecation: true }),
    ).toEqual(['--no-deprecation', '--trace-deprecation']);
    expect(childExecArgv({ execArgv: [], throwDeprecation: true })).toEqual(['--throw-deprecation']);
  });

  it('gives nothing to a parent without warning settings', () => {
    expect(childExecArgv({ execArgv: ['--enable-source-maps'] })).toEqual([]);
  });
});
