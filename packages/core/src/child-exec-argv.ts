/**
 * The Node options a child process or worker thread started by kinesis-ts gets: the parent's warning
 * settings, nothing else (no `--inspect` port clash, no loaders meant for the application only).
 */

/** Warning options taken from the parent's `execArgv` (with `=value`, or the value as the next item). */
const WARNING_FLAGS_WITH_VALUE = ['--disable-warning', '--redirect-warnings'] as const;
/** Warning switches taken from the parent's `execArgv` as they are. */
const WARNING_SWITCHES = new Set([
  '--no-warnings',
  '--no-deprecation',
  '--throw-deprecation',
  '--trace-deprecation',
  '--trace-warnings',
  '--pending-deprecation',
]);

/** What {@link childExecArgv} reads from the parent; defaults to `process`. */
export interface ParentWarningSettings {
  /** The parent's Node options (`process.execArgv`). */
  readonly execArgv: readonly string[];
  /** `process.noDeprecation`, which an application may set at run time. */
  readonly noDeprecation?: boolean;
  /** `process.throwDeprecation`. */
  readonly throwDeprecation?: boolean;
  /** `process.traceDeprecation`. */
  readonly traceDeprecation?: boolean;
}

/**
 * The `execArgv` for a child process or worker thread: the parent's warning options
 * (`--no-warnings`, `--no-deprecation`, `--disable-warning=…`, `--redirect-warnings=…`,
 * `--trace-warnings`, `--throw-deprecation`, `--trace-deprecation`, `--pending-deprecation`) and
 * `process.noDeprecation` / `throwDeprecation` / `traceDeprecation` set at run time. `NODE_OPTIONS`
 * reaches children through their environment and is not repeated here.
 */
export function childExecArgv(parent: ParentWarningSettings = process): string[] {
  const result: string[] = [];
  const argv = parent.execArgv;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (WARNING_SWITCHES.has(arg)) {
      result.push(arg);
      continue;
    }
    const flag = WARNING_FLAGS_WITH_VALUE.find((name) => arg === name || arg.startsWith(`${name}=`));
    if (flag === undefined) continue;
    if (arg === flag) {
      const value = argv[i + 1];
      if (value === undefined) continue;
      result.push(`${flag}=${value}`);
      i++;
    } else result.push(arg);
  }
  const runtime: [boolean | undefined, string][] = [
    [parent.noDeprecation, '--no-deprecation'],
    [parent.throwDeprecation, '--throw-deprecation'],
    [parent.traceDeprecation, '--trace-deprecation'],
  ];
  for (const [set, flag] of runtime) if (set === true && !result.includes(flag)) result.push(flag);
  return result;
}
