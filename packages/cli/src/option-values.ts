/**
 * Typed reads of option values with usage errors that name the option and what it takes.
 */
import { CliUsageError } from './cli-error.js';
import type { OptionValues } from './parse-command-line.js';

/** A string option, or `undefined` when not given. */
export function stringOption(values: OptionValues, name: string): string | undefined {
  const value = values[name];
  if (Array.isArray(value)) return value.at(-1) as string | undefined;
  return typeof value === 'string' ? value : undefined;
}

/** A repeatable string option (empty when not given). */
export function stringsOption(values: OptionValues, name: string): string[] {
  const value = values[name];
  if (Array.isArray(value)) return value.map(String);
  return typeof value === 'string' ? [value] : [];
}

/** A boolean flag. */
export function flag(values: OptionValues, name: string): boolean {
  return values[name] === true;
}

/** A required string option. @throws CliUsageError when missing. */
export function requiredString(values: OptionValues, name: string, command: string, why: string): string {
  const value = stringOption(values, name);
  if (value === undefined || value === '') throw new CliUsageError(`--${name} is required: ${why}`, command);
  return value;
}

/**
 * An integer option in `min..max`, or `fallback` when not given.
 * @throws CliUsageError when it is not an integer in range.
 */
export function integerOption(
  values: OptionValues,
  name: string,
  command: string,
  fallback: number,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  const raw = stringOption(values, name);
  if (raw === undefined) return fallback;
  const value = /^-?\d+$/.test(raw.trim()) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new CliUsageError(
      `--${name} must be an integer in ${min}..${max}, got ${JSON.stringify(raw)}`,
      command,
    );
  }
  return value;
}

/** One of `choices` (case-insensitive), or `fallback`. @throws CliUsageError otherwise. */
export function choiceOption<T extends string>(
  values: OptionValues,
  name: string,
  command: string,
  choices: readonly T[],
  fallback: T,
): T {
  const raw = stringOption(values, name);
  if (raw === undefined) return fallback;
  const found = choices.find((c) => c.toLowerCase() === raw.toLowerCase());
  if (found === undefined) {
    throw new CliUsageError(
      `--${name} must be one of ${choices.join(', ')}, got ${JSON.stringify(raw)}`,
      command,
    );
  }
  return found;
}
